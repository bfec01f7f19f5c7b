using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Postgres;

/// <summary>
/// The shared store for scale-out: several ingest nodes (daemons) on one PostgreSQL database, with the same contract
/// and lifecycle rules as the embedded FASTER store.
///
/// Durability is PostgreSQL's: every connection runs with <c>synchronous_commit = on</c>, so a call returns only
/// after its commit is flushed to the WAL. The lifecycle decisions are the FASTER store's own pure function
/// (<see cref="JobTransitions"/>) applied to a row locked with <c>SELECT … FOR UPDATE</c>, so both backends refuse
/// exactly the same things with the same statuses. Claims are one statement (see <c>PostgresOutpostStore.Lifecycle</c>).
///
/// Lock order, which keeps transactions free of deadlocks: job rows first (several of them always in id order),
/// then scan rows (in id order). A deadlock or serialization failure that happens anyway is retried: PostgreSQL
/// rolled the transaction back, so nothing happened. A broken connection is not retried: the commit may or may not
/// have happened, and the caller gets <see cref="StoreUnavailableException"/> (HTTP 503), never a guess.
/// </summary>
public sealed partial class PostgresOutpostStore : IOutpostStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresStoreOptions _options;
    private readonly ILogger _logger;

    private PostgresOutpostStore(NpgsqlDataSource dataSource, PostgresStoreOptions options, ILogger logger)
    {
        this._dataSource = dataSource;
        this._options = options;
        this._logger = logger;
    }

    /// <summary>Connects, creates or migrates the schema (safe with several nodes starting at once) and returns the store.</summary>
    public static async ValueTask<PostgresOutpostStore> OpenAsync(PostgresStoreOptions options, ILoggerFactory loggerFactory, CancellationToken ct = default)
    {
        var dataSource = CreateDataSource(options.ConnectionString, "outpost");
        var logger = loggerFactory.CreateLogger<PostgresOutpostStore>();
        try
        {
            var version = await Migrations.ApplyAsync(dataSource, logger, ct).ConfigureAwait(false);
            LogOpened(logger, dataSource.ConnectionString is { } cs ? new NpgsqlConnectionStringBuilder(cs).Host ?? "" : "", version);
            return new PostgresOutpostStore(dataSource, options, logger);
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw Unavailable(e);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A data source with the settings the store relies on whatever the connection string says: durable commits and
    /// an application name that shows in <c>pg_stat_activity</c>. Pooled connections also keep the store's statements
    /// prepared (every lifecycle statement is parsed and planned once per connection, not per call) and skip the
    /// state reset on return to the pool: the store sets no session state, and the reset is extra statements the
    /// server runs on every call (docs/performance.md).
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString, string applicationName, bool pooling = true)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = applicationName,
            Pooling = pooling,
        };
        if (pooling)
        {
            if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
            builder.NoResetOnClose = true;
        }
        builder.Options = string.IsNullOrEmpty(builder.Options) ? "-c synchronous_commit=on" : builder.Options + " -c synchronous_commit=on";
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>The store's connection string (with its enforced settings), for tests that inspect the database.</summary>
    internal string ConnectionStringForTests => _dataSource.ConnectionString;

    // ---- Running statements ---------------------------------------------------------------------------------

    /// <summary>True when the failure says the database is unreachable or the connection broke (outcome unknown).</summary>
    internal static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException pg => pg.IsTransient && !IsConflict(pg),
        NpgsqlException => true,
        TimeoutException or SocketException or IOException => true,
        _ => false,
    };

    private static bool IsConflict(Exception e) => e is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected };

    private static StoreUnavailableException Unavailable(Exception e) =>
        new("The job store's database (PostgreSQL) is unavailable: " + e.Message, e);

    /// <summary>Runs a read (or a single-statement change) on a pooled connection, synchronously.</summary>
    private T Read<T>(Func<NpgsqlConnection, T> work)
    {
        try
        {
            using var connection = _dataSource.OpenConnection();
            return work(connection);
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    /// <summary>Runs a single statement (autocommit) on a pooled connection.</summary>
    private async ValueTask<T> RunAsync<T>(Func<NpgsqlConnection, CancellationToken, ValueTask<T>> work, CancellationToken ct)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            return await work(connection, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction and commits it unless it returned with <c>commit: false</c>
    /// (a refusal: nothing changes). Deadlocks and serialization failures roll back and run again.
    /// </summary>
    private async ValueTask<T> InTransactionAsync<T>(Func<NpgsqlConnection, CancellationToken, ValueTask<(bool Commit, T Result)>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
                var (commit, result) = await work(connection, ct).ConfigureAwait(false);
                if (commit) await transaction.CommitAsync(ct).ConfigureAwait(false);
                else await transaction.RollbackAsync(ct).ConfigureAwait(false);
                return result;
            }
            catch (Exception e) when (IsConflict(e) && attempt < _options.ConflictRetries)
            {
                LogConflictRetried(_logger, ((PostgresException)e).SqlState, attempt);
            }
            catch (Exception e) when (IsUnavailable(e))
            {
                throw Unavailable(e);
            }
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql) => new(sql, connection);

    // ---- Mapping --------------------------------------------------------------------------------------------

    /// <summary>The job columns every job read selects, in the order <see cref="ReadJob"/> and <see cref="ReadRecord"/> expect.</summary>
    internal const string JobColumns =
        "id, scan_id, scanner_id, name, targets, max_pps, rerun_of, automated, status, attempts, progress_count, result_count, " +
        "stop_requested, source_ip, error_message, created_at, claimed_at, started_at, finished_at, updated_at, superseded, probe_cursor, paused, pool";

    /// <summary><see cref="JobColumns"/> qualified with the alias <c>j</c>.</summary>
    internal const string JobColumnsJ =
        "j.id, j.scan_id, j.scanner_id, j.name, j.targets, j.max_pps, j.rerun_of, j.automated, j.status, j.attempts, j.progress_count, j.result_count, " +
        "j.stop_requested, j.source_ip, j.error_message, j.created_at, j.claimed_at, j.started_at, j.finished_at, j.updated_at, j.superseded, j.probe_cursor, j.paused, j.pool";

    private static Job ReadJob(NpgsqlDataReader r)
    {
        var status = ParseJobStatus(r.GetString(8));
        return new Job
        {
            JobId = r.GetInt64(0),
            ScanId = r.GetInt64(1),
            ScannerId = r.GetInt64(2),
            Name = r.GetString(3),
            Targets = JsonSerializer.Deserialize(r.GetString(4), PostgresJson.Default.ListJobTarget) ?? [],
            MaxProbesPerSecond = r.GetInt32(5),
            RerunOf = r.IsDBNull(6) ? null : r.GetInt64(6),
            Automated = r.GetBoolean(7),
            Status = status,
            Attempts = r.GetInt32(9),
            ProgressCount = r.GetInt64(10),
            ResultCount = r.GetInt64(11),
            Cursor = r.GetInt64(21),
            StopRequested = r.GetBoolean(12),
            SourceIp = r.IsDBNull(13) ? null : r.GetString(13),
            ErrorMessage = status == JobStatus.Failed && !r.IsDBNull(14) ? r.GetString(14) : null,
            CreatedAt = Time(r, 15)!.Value,
            ClaimedAt = Time(r, 16),
            StartedAt = Time(r, 17),
            FinishedAt = Time(r, 18),
            UpdatedAt = Time(r, 19),
            Pool = r.IsDBNull(23) ? null : r.GetString(23),
        };
    }

    /// <summary>The lifecycle fields of a job row as the record <see cref="JobTransitions"/> decides on.</summary>
    private static JobRecord ReadRecord(NpgsqlDataReader r)
    {
        var flags = JobFlags.None;
        if (r.GetBoolean(7)) flags |= JobFlags.Automated;
        if (r.GetBoolean(12)) flags |= JobFlags.StopRequested;
        if (r.GetBoolean(20)) flags |= JobFlags.Superseded;
        if (r.GetBoolean(22)) flags |= JobFlags.Paused;
        if (!r.IsDBNull(23)) flags |= JobFlags.Pooled;
        return new JobRecord
        {
            JobId = r.GetInt64(0),
            ScanId = r.GetInt64(1),
            ScannerId = r.GetInt64(2),
            RerunOf = r.IsDBNull(6) ? 0 : r.GetInt64(6),
            MaxProbesPerSecond = r.GetInt32(5),
            Status = ParseJobStatus(r.GetString(8)),
            Attempts = r.GetInt32(9),
            ProgressCount = r.GetInt64(10),
            ResultCount = r.GetInt64(11),
            Cursor = r.GetInt64(21),
            Flags = flags,
            CreatedAt = TimeTicks(r, 15),
            ClaimedAt = TimeTicks(r, 16),
            StartedAt = TimeTicks(r, 17),
            FinishedAt = TimeTicks(r, 18),
            UpdatedAt = TimeTicks(r, 19),
        };
    }

    private static DateTimeOffset? Time(NpgsqlDataReader r, int ordinal) =>
        r.IsDBNull(ordinal) ? null : new DateTimeOffset(r.GetFieldValue<DateTime>(ordinal).Ticks, TimeSpan.Zero);

    private static long TimeTicks(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? 0 : r.GetFieldValue<DateTime>(ordinal).Ticks;

    /// <summary>A UTC timestamp parameter (PostgreSQL keeps microseconds).</summary>
    private static NpgsqlParameter<DateTime> At(DateTimeOffset time) => new NpgsqlParameter<DateTime> { TypedValue = time.UtcDateTime };

    private static NpgsqlParameter At(long ticks) => ticks == 0
        ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz }
        : new NpgsqlParameter<DateTime> { TypedValue = new DateTime(ticks, DateTimeKind.Utc) };

    private static NpgsqlParameter<long> Long(long value) => new NpgsqlParameter<long> { TypedValue = value };

    private static NpgsqlParameter<int> Int(int value) => new NpgsqlParameter<int> { TypedValue = value };

    private static NpgsqlParameter<bool> Bool(bool value) => new NpgsqlParameter<bool> { TypedValue = value };

    private static NpgsqlParameter Text(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter NullableInt(int? value) =>
        new() { Value = value is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };

    private static NpgsqlParameter NullableLong(long? value) =>
        new() { Value = value is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint };

    private static NpgsqlParameter Jsonb(string json) => new() { Value = json, NpgsqlDbType = NpgsqlDbType.Jsonb };

    private static JobStatus ParseJobStatus(string text) => text switch
    {
        "queued" => JobStatus.Queued,
        "claimed" => JobStatus.Claimed,
        "running" => JobStatus.Running,
        "completed" => JobStatus.Completed,
        "failed" => JobStatus.Failed,
        "cancelled" => JobStatus.Cancelled,
        _ => throw new InvalidDataException($"unknown job status '{text}' in the database"),
    };

    private static ScanStatus ParseScanStatus(string text) => text switch
    {
        "scheduled" => ScanStatus.Scheduled,
        "running" => ScanStatus.Running,
        "stopping" => ScanStatus.Stopping,
        "stopped" => ScanStatus.Stopped,
        "completed" => ScanStatus.Completed,
        "failed" => ScanStatus.Failed,
        _ => throw new InvalidDataException($"unknown scan status '{text}' in the database"),
    };

    /// <summary>The source address as the FASTER store keeps it: a parsed IP (IPv4-mapped shown as IPv4), or nothing.</summary>
    private static string? NormalizeIp(string? text)
    {
        if (text is null || !IPAddress.TryParse(text, out var address)) return null;
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL store opened on {Host}, schema version {Version}")]
    private static partial void LogOpened(ILogger logger, string host, int version);

    [LoggerMessage(Level = LogLevel.Debug, Message = "transaction aborted by PostgreSQL ({SqlState}), attempt {Attempt}: running it again")]
    private static partial void LogConflictRetried(ILogger logger, string sqlState, int attempt);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ScanSpec))]
[JsonSerializable(typeof(List<JobTarget>))]
[JsonSerializable(typeof(List<ScannerCapability>))]
internal sealed partial class PostgresJson : JsonSerializerContext;
