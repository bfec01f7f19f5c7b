using Microsoft.Data.Sqlite;
using Npgsql;
using Outpost.Store.Postgres;

namespace Outpost.Store.Records;

/// <summary>Which engine holds the records: SQLite in the data directory, or the shared PostgreSQL database.</summary>
public enum RecordsEngine
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Everything that differs between the two engines outside a migration's text, in one place. Feature SQL is written
/// once for both: <c>@name</c> parameters, <c>INSERT … ON CONFLICT</c>, <c>RETURNING</c>, row values and <c>LIMIT</c>
/// mean the same on SQLite (3.35+) and PostgreSQL (13+); times are stored as bigint microseconds since the Unix epoch.
/// </summary>
internal static class RecordsDialect
{
    /// <summary>Advisory lock key held on PostgreSQL while migrating ("outpost" in ASCII, then 'r').</summary>
    public const long PostgresMigrationLock = 0x6F7574706F73_72;

    public const string MigrationsTable =
        "CREATE TABLE IF NOT EXISTS records_migrations (id text PRIMARY KEY, applied_at bigint NOT NULL)";

    /// <summary>
    /// SQLite primary result codes that mean the disk or the device failed (I/O error, disk full, cannot open),
    /// not a refusal: the outcome is a 503, and the client retries.
    /// </summary>
    private const int SqliteIoErr = 10, SqliteFull = 13, SqliteCantOpen = 14;

    /// <summary>SQLite result codes that mean the file is not a sound database.</summary>
    private const int SqliteCorrupt = 11, SqliteNotADb = 26;

    public static bool IsUnavailable(Exception e) => e switch
    {
        SqliteException s => s.SqliteErrorCode is SqliteIoErr or SqliteFull or SqliteCantOpen,
        _ => PostgresOutpostStore.IsUnavailable(e),
    };

    public static bool IsDamage(Exception e) => e is SqliteException { SqliteErrorCode: SqliteCorrupt or SqliteNotADb };

    /// <summary>A PostgreSQL transaction aborted for a deadlock or serialization failure: nothing happened, run it again.</summary>
    public static bool IsConflict(Exception e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected };
}
