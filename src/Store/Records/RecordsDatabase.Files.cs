using Microsoft.Data.Sqlite;

namespace Outpost.Store.Records;

/// <summary>What <see cref="RecordsDatabase.Verify"/> found: sound, or what is wrong, in plain words.</summary>
public sealed record RecordsFileCheck(string Path, bool Sound, string Summary);

// The embedded file's backup and verification: the records' part of 'outpost backup' and 'outpost store verify'.
public sealed partial class RecordsDatabase
{
    /// <summary>
    /// Writes a consistent copy of the embedded database to <c>&lt;directory&gt;/records.db</c> with SQLite's online
    /// backup: the copy is one point in time (one read snapshot) while writes go on. An existing copy there is
    /// replaced. On PostgreSQL the records are in the shared database and are backed up with it.
    /// </summary>
    public async Task BackupToAsync(string directory, CancellationToken ct)
    {
        if (Engine != RecordsEngine.Sqlite)
        {
            throw new InvalidOperationException("The records are in the PostgreSQL database: back them up with the database (pg_dump), not with the appliance.");
        }

        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, FileName);
        foreach (var stale in new[] { target, target + "-wal", target + "-shm" }) File.Delete(stale);
        try
        {
            await using var source = await OpenReaderAsync(ct).ConfigureAwait(false);
            await using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
            await copy.OpenAsync(ct).ConfigureAwait(false);
            ((SqliteConnection)source).BackupDatabase(copy);
        }
        catch (Exception e) when (RecordsDialect.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    /// <summary>
    /// Checks an embedded records file without changing it: it opens read-only, carries the records schema's table,
    /// and passes SQLite's <c>integrity_check</c> (or the faster <c>quick_check</c>, which skips index-content checks).
    /// Safe while the daemon runs (WAL readers do not block its writer).
    /// </summary>
    public static RecordsFileCheck Verify(string path, bool quick = false)
    {
        if (!File.Exists(path)) return new RecordsFileCheck(path, false, "missing");
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using (var schema = connection.Command("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'records_migrations'"))
            {
                if (Convert.ToInt64(schema.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 1)
                    return new RecordsFileCheck(path, false, "not a records database (no records_migrations table)");
            }

            using var check = connection.Command(quick ? "PRAGMA quick_check" : "PRAGMA integrity_check");
            using var reader = check.ExecuteReader();
            var problems = new List<string>();
            while (reader.Read() && problems.Count < 10) problems.Add(reader.GetString(0));
            return problems is ["ok"]
                ? new RecordsFileCheck(path, true, "sound")
                : new RecordsFileCheck(path, false, "damaged: " + string.Join("; ", problems));
        }
        catch (SqliteException e)
        {
            return new RecordsFileCheck(path, false, "cannot be read: " + e.Message);
        }
    }
}
