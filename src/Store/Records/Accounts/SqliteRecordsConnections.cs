using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Outpost.Store.Records.Accounts;

/// <summary>
/// The embedded records database, <c>&lt;data-dir&gt;/records.db</c>: WAL journal and <c>synchronous=FULL</c>, so a
/// committed row survives a power cut before the caller is answered. The schema is applied once, on first open.
/// </summary>
public sealed class SqliteRecordsConnections(string dataDirectory) : IRecordsConnections
{
    public const string FileName = "records.db";

    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(dataDirectory, FileName),
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    private Lazy<Task>? _migration;

    public bool IsPostgres => false;

    public async ValueTask<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        // Once per process; a failed attempt is retried by the next caller.
        var migration = LazyInitializer.EnsureInitialized(ref _migration, () => new Lazy<Task>(() => MigrateAsync(CancellationToken.None)));
        try
        {
            await migration.Value.WaitAsync(ct);
        }
        catch (Exception) when (migration.Value.IsFaulted)
        {
            Interlocked.CompareExchange(ref _migration, null, migration);
            throw;
        }

        return await OpenRawAsync(ct);
    }

    private async Task<SqliteConnection> OpenRawAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(new SqliteConnectionStringBuilder(_connectionString).DataSource))!);
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        await using var pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;";
        await pragmas.ExecuteNonQueryAsync(ct);
        return connection;
    }

    private async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await OpenRawAsync(ct);
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS records_migrations (id TEXT PRIMARY KEY)";
            await create.ExecuteNonQueryAsync(ct);
        }

        foreach (var (id, sql, _) in AccountsSchema.Migrations)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await using var check = connection.CreateCommand();
            check.Transaction = transaction;
            check.CommandText = "SELECT count(*) FROM records_migrations WHERE id = @id";
            check.Parameters.AddWithValue("@id", id);
            if ((long)(await check.ExecuteScalarAsync(ct))! > 0)
            {
                continue;
            }

            await using var step = connection.CreateCommand();
            step.Transaction = transaction;
            step.CommandText = sql + "; INSERT INTO records_migrations (id) VALUES (@id);";
            step.Parameters.AddWithValue("@id", id);
            await step.ExecuteNonQueryAsync(ct);
            await transaction.CommitAsync(ct);
        }
    }
}
