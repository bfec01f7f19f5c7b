using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;
using Outpost.Store.Postgres;

namespace Outpost.Store.Records;

/// <summary>
/// The records database: data that is queried, paged, searched and retained (findings today; the inventory, users and
/// the audit log next), kept in an engine built for it instead of on the heap. The hot job lifecycle stays in the
/// FASTER store; this is its companion. One schema, two engines (docs/records.md):
///
/// - embedded: SQLite at <c>&lt;data-dir&gt;/records.db</c> in WAL mode with <c>synchronous=FULL</c>, so a commit is
///   on disk before <see cref="WriteAsync{T}"/> returns. Writes go through one connection, one at a time (SQLite has
///   one writer anyway; queueing here is cheaper than its busy-retry loop); reads use pooled connections and run
///   concurrently with the writer (WAL readers see the last commit).
/// - scale-out: the store's PostgreSQL database, with <c>synchronous_commit=on</c> forced like the job store's.
///
/// Features run parameterised SQL through <see cref="ReadAsync{T}"/> and <see cref="WriteAsync{T}"/> with <c>@name</c>
/// parameters (<see cref="RecordsCommands"/>); what differs between the engines is in <see cref="RecordsDialect"/>
/// and in the two texts of a <see cref="Migration"/>. A failed disk or an unreachable server surfaces as
/// <see cref="StoreUnavailableException"/> (HTTP 503), like the job store's.
/// </summary>
public sealed partial class RecordsDatabase : IAsyncDisposable, IBackupParticipant
{
    /// <summary>The embedded database's file name inside the data directory.</summary>
    public const string FileName = "records.db";

    /// <summary>The file in the data directory that says the records database exists there (see <see cref="OpenEmbeddedAsync"/>).</summary>
    public const string MarkerName = "records.expected";

    private readonly SqliteConnection? _writer;
    private readonly string? _sqliteConnectionString;
    private readonly NpgsqlDataSource? _postgres;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly int _conflictRetries;

    private RecordsDatabase(RecordsEngine engine, string where, SqliteConnection? writer, NpgsqlDataSource? postgres, int conflictRetries = 5)
    {
        Engine = engine;
        Where = where;
        _writer = writer;
        _sqliteConnectionString = writer?.ConnectionString;
        _postgres = postgres;
        _conflictRetries = conflictRetries;
    }

    public RecordsEngine Engine { get; }

    /// <summary>The file (embedded) or the server (PostgreSQL), for messages.</summary>
    public string Where { get; }

    // ---- Opening ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Opens <c>&lt;data-dir&gt;/records.db</c> for the embedded appliance, failing closed. Beside it this writes
    /// <see cref="MarkerName"/>, which says "this data directory has a records database": once the marker is there a
    /// missing records.db (or a file SQLite cannot read) is damage, and this throws <see cref="InvalidDataException"/>
    /// naming the file and the way out, so the daemon does not start. Without the marker the file is created: in a
    /// fresh data directory, and in one whose job store a version before the records database wrote (an upgrade,
    /// logged when <paramref name="freshDataDirectory"/> is false). docs/records.md, "Upgrading".
    /// </summary>
    public static async Task<RecordsDatabase> OpenEmbeddedAsync(string dataDirectory, bool freshDataDirectory, ILoggerFactory loggerFactory,
        IReadOnlyList<Migration>? migrations = null, CancellationToken ct = default)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var marker = Path.Combine(dataDirectory, MarkerName);
        var exists = File.Exists(path);
        if (!exists && File.Exists(marker))
        {
            throw new InvalidDataException($"{path} is missing, but {marker} says this data directory had one: the records database (findings) is gone. " +
                "Restore the data directory from a backup ('outpost restore DIR'), or move the whole data directory aside to start empty.");
        }

        if (!exists && !freshDataDirectory)
        {
            LogUpgrade(loggerFactory.CreateLogger<RecordsDatabase>(), dataDirectory, path);
        }

        Directory.CreateDirectory(dataDirectory);
        var database = await OpenSqliteAsync(path, create: !exists, loggerFactory, migrations, ct).ConfigureAwait(false);
        try
        {
            // Written after the file is migrated: a crash in between leaves a records.db without a marker, which the
            // next start opens and marks.
            if (!File.Exists(marker)) WriteDurably(marker, "records.db\n");
            return database;
        }
        catch
        {
            await database.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void WriteDurably(string path, string text)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        file.Write(System.Text.Encoding.UTF8.GetBytes(text));
        file.Flush(flushToDisk: true);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{DataDirectory} holds a job store from a version before the records database: creating {Path}; the findings that version kept move into it as the job store opens")]
    private static partial void LogUpgrade(ILogger logger, string dataDirectory, string path);

    /// <summary>Opens (or, with <paramref name="create"/>, creates) a SQLite records database at <paramref name="path"/> and migrates it.</summary>
    public static async Task<RecordsDatabase> OpenSqliteAsync(string path, bool create, ILoggerFactory loggerFactory,
        IReadOnlyList<Migration>? migrations = null, CancellationToken ct = default)
    {
        var logger = loggerFactory.CreateLogger<RecordsDatabase>();
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        var writer = new SqliteConnection(connectionString);
        try
        {
            writer.Open();
            // WAL is a property of the file (set once, kept); synchronous is per connection: FULL syncs the WAL at
            // every commit, so an acknowledged write survives a power cut, not only a crash of the process.
            Pragma(writer, "PRAGMA journal_mode = WAL");
            Pragma(writer, "PRAGMA synchronous = FULL");
            var database = new RecordsDatabase(RecordsEngine.Sqlite, path, writer, null);
            await database.MigrateAsync(migrations ?? RecordsSchema.All, logger, ct).ConfigureAwait(false);
            return database;
        }
        catch (Exception e) when (RecordsDialect.IsDamage(e) || e is SqliteException { SqliteErrorCode: 14 })
        {
            await CloseAsync(writer).ConfigureAwait(false);
            throw new InvalidDataException($"{path} cannot be opened as the records database ({e.Message}). " +
                "Restore the data directory from a backup ('outpost restore DIR'); 'outpost store verify' explains what is wrong.", e);
        }
        catch
        {
            await CloseAsync(writer).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes the connection and its pool: a pooled handle would keep the failed file open, and hand it back to the next open.</summary>
    private static async Task CloseAsync(SqliteConnection connection)
    {
        await connection.DisposeAsync().ConfigureAwait(false);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>Opens the records schema in the job store's PostgreSQL database (the same connection string) and migrates it.</summary>
    public static async Task<RecordsDatabase> OpenPostgresAsync(string connectionString, ILoggerFactory loggerFactory,
        IReadOnlyList<Migration>? migrations = null, CancellationToken ct = default)
    {
        var logger = loggerFactory.CreateLogger<RecordsDatabase>();
        var dataSource = PostgresOutpostStore.CreateDataSource(connectionString, "outpost-records");
        var host = new NpgsqlConnectionStringBuilder(connectionString).Host ?? "";
        try
        {
            var database = new RecordsDatabase(RecordsEngine.Postgres, $"PostgreSQL at {host}", null, dataSource);
            await database.MigrateAsync(migrations ?? RecordsSchema.All, logger, ct).ConfigureAwait(false);
            return database;
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes the database; a second call does nothing (the container and the opened stores both own it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_writer is not null)
        {
            await _writeLock.WaitAsync().ConfigureAwait(false);
            await _writer.DisposeAsync().ConfigureAwait(false);
            // Pooled reader connections would keep the file open (and its WAL) after the database is closed.
            SqliteConnection.ClearPool(_writer);
        }

        if (_postgres is not null) await _postgres.DisposeAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }

    private int _disposed;

    // ---- Running statements -----------------------------------------------------------------------------------

    /// <summary>
    /// Runs a read on its own connection; reads run concurrently with each other and with the writer. On SQLite one
    /// statement sees one snapshot; keep reads short (a page), so a long export does not pin the WAL.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken ct = default)
    {
        try
        {
            await using var connection = await OpenReaderAsync(ct).ConfigureAwait(false);
            return await work(connection, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (RecordsDialect.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and commits it unless it returned <c>Commit: false</c> (a
    /// refusal: nothing changes). When this returns after a commit, the commit is durable. Commands must be given
    /// the transaction (<see cref="RecordsCommands.Command"/>). On PostgreSQL a deadlock or serialization failure
    /// rolls back and runs <paramref name="work"/> again; on SQLite writes are serialised and never conflict.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<(bool Commit, T Result)>> work, CancellationToken ct = default)
    {
        try
        {
            return _writer is not null ? await WriteSqliteAsync(_writer, work, ct).ConfigureAwait(false) : await WritePostgresAsync(work, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (RecordsDialect.IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    private async Task<T> WriteSqliteAsync<T>(SqliteConnection writer, Func<DbConnection, DbTransaction, CancellationToken, Task<(bool Commit, T Result)>> work,
        CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // BEGIN IMMEDIATE: the write lock is taken at the start, so a backup or verify in another process waits here.
            await using var transaction = writer.BeginTransaction(deferred: false);
            var (commit, result) = await work(writer, transaction, ct).ConfigureAwait(false);
            if (commit) transaction.Commit();
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<T> WritePostgresAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<(bool Commit, T Result)>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await _postgres!.OpenConnectionAsync(ct).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
                var (commit, result) = await work(connection, transaction, ct).ConfigureAwait(false);
                if (commit) await transaction.CommitAsync(ct).ConfigureAwait(false);
                return result;
            }
            catch (Exception e) when (RecordsDialect.IsConflict(e) && attempt <= _conflictRetries)
            {
                // PostgreSQL rolled the transaction back: nothing happened, so running it again is safe.
            }
        }
    }

    private async Task<DbConnection> OpenReaderAsync(CancellationToken ct)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(ct).ConfigureAwait(false);
        var connection = new SqliteConnection(_sqliteConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private StoreUnavailableException Unavailable(Exception e) => new($"The records database ({Where}) is unavailable: {e.Message}", e);

    private static void Pragma(SqliteConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = pragma;
        command.ExecuteNonQuery();
    }
}
