using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Outpost.Store.Model;
using Outpost.Store.Queries;

namespace Outpost.Store.Postgres;

// Scans: creation and dispatch (which enqueue jobs), stop, re-run and retention. Control path. A scan's job
// counts and totals are not stored: they are aggregated from its jobs when read, so no row is shared by every job.
public sealed partial class PostgresOutpostStore
{
    private const string ScanSelect =
        "SELECT s.id, s.spec::text, s.status, s.created_at, s.started_at, s.finished_at, " +
        "count(j.id) FILTER (WHERE j.status = 'queued'), count(j.id) FILTER (WHERE j.status = 'claimed'), " +
        "count(j.id) FILTER (WHERE j.status = 'running'), count(j.id) FILTER (WHERE j.status = 'completed'), " +
        "count(j.id) FILTER (WHERE j.status = 'failed'), count(j.id) FILTER (WHERE j.status = 'cancelled'), " +
        "coalesce(sum(j.progress_count), 0)::bigint, coalesce(sum(j.result_count), 0)::bigint " +
        "FROM scans s LEFT JOIN jobs j ON j.scan_id = s.id ";

    private const string InsertJobsSql =
        "INSERT INTO jobs (scan_id, scanner_id, name, targets, targets_text, address_ranges, max_pps, rerun_of, automated, status, created_at, updated_at, pool) " +
        "SELECT $1, u.scanner_id, u.name, u.targets::jsonb, u.targets_text, u.address_ranges::int8multirange, u.max_pps, $2, $3, 'queued', $4, $4, u.pool " +
        "FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[], $9::int[], $10::text[], $11::text[]) WITH ORDINALITY AS u(scanner_id, name, targets, targets_text, max_pps, pool, address_ranges, n) " +
        "ORDER BY u.n RETURNING " + JobColumns;

    public ValueTask<Scan> CreateScanAsync(ScanSpec spec, ScanStatus initialStatus, IReadOnlyList<NewJob> newJobs, DateTimeOffset now, CancellationToken ct = default)
    {
        if (newJobs.Count == 0 && initialStatus != ScanStatus.Scheduled)
            throw new ArgumentException("a scan without jobs must be created scheduled", nameof(initialStatus));
        return InTransactionAsync(async (connection, token) =>
        {
            var status = newJobs.Count > 0 ? ScanStatus.Running : ScanStatus.Scheduled;
            long scanId;
            await using (var insert = Command(connection, "INSERT INTO scans (spec, status, created_at, started_at) VALUES ($1, $2, $3, $4) RETURNING id"))
            {
                insert.Parameters.Add(Jsonb(JsonSerializer.Serialize(spec, PostgresJson.Default.ScanSpec)));
                insert.Parameters.Add(Text(status.ToWire()));
                insert.Parameters.Add(At(now));
                insert.Parameters.Add(newJobs.Count > 0 ? At(now) : At(0));
                scanId = (long)(await insert.ExecuteScalarAsync(token).ConfigureAwait(false))!;
            }
            await InsertJobsAsync(connection, scanId, spec.Automated, null, newJobs, now, token).ConfigureAwait(false);
            return (true, await ReadScanAsync(connection, scanId, token).ConfigureAwait(false) ?? throw new InvalidOperationException("the new scan vanished"));
        }, ct);
    }

    public ValueTask<(StoreStatus Status, Scan? Scan)> DispatchScanAsync(long scanId, IReadOnlyList<NewJob> newJobs, DateTimeOffset now, CancellationToken ct = default) =>
        InTransactionAsync<(StoreStatus, Scan?)>(async (connection, token) =>
        {
            var status = await LockScanAsync(connection, scanId, token).ConfigureAwait(false);
            if (status is null) return (false, (StoreStatus.NotFound, null));
            if (newJobs.Count == 0 || status != ScanStatus.Scheduled)
                return (false, (StoreStatus.InvalidTransition, await ReadScanAsync(connection, scanId, token).ConfigureAwait(false)));
            await using (var update = Command(connection, "UPDATE scans SET status = 'running', started_at = $2 WHERE id = $1"))
            {
                update.Parameters.Add(Long(scanId));
                update.Parameters.Add(At(now));
                await update.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }
            var spec = (await ReadScanAsync(connection, scanId, token).ConfigureAwait(false))!.Spec;
            await InsertJobsAsync(connection, scanId, spec.Automated, null, newJobs, now, token).ConfigureAwait(false);
            return (true, (StoreStatus.Ok, await ReadScanAsync(connection, scanId, token).ConfigureAwait(false)));
        }, ct);

    /// <summary>Inserts queued jobs in the order given, so their ids (the claim order) follow it.</summary>
    private static async ValueTask<List<Job>> InsertJobsAsync(NpgsqlConnection connection, long scanId, bool automated, long? rerunOf,
        IReadOnlyList<NewJob> newJobs, DateTimeOffset now, CancellationToken ct)
    {
        var inserted = new List<Job>(newJobs.Count);
        if (newJobs.Count == 0) return inserted;
        var scannerIds = new long[newJobs.Count];
        var names = new string[newJobs.Count];
        var targets = new string[newJobs.Count];
        var targetTexts = new string[newJobs.Count];
        var rates = new int[newJobs.Count];
        var pools = new string?[newJobs.Count];
        var addressRanges = new string[newJobs.Count];
        for (var i = 0; i < newJobs.Count; i++)
        {
            var job = newJobs[i];
            scannerIds[i] = job.ScannerId;
            names[i] = job.Name;
            targets[i] = JsonSerializer.Serialize(job.Targets as List<JobTarget> ?? [.. job.Targets], PostgresJson.Default.ListJobTarget);
            targetTexts[i] = TargetText(job.Targets);
            rates[i] = job.MaxProbesPerSecond;
            pools[i] = job.Pool;
            addressRanges[i] = AddressRanges.ToMultirange(job.Targets);
        }
        await using var insert = Command(connection, InsertJobsSql);
        insert.Parameters.Add(Long(scanId));
        insert.Parameters.Add(NullableLong(rerunOf));
        insert.Parameters.Add(Bool(automated));
        insert.Parameters.Add(At(now));
        insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = scannerIds });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = names });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = targets });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = targetTexts });
        insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = rates });
        insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = pools });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = addressRanges });
        await using (var reader = await insert.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) inserted.Add(ReadJob(reader));
        }
        if (newJobs.Count >= AnalyzeAfterJobs)
        {
            // Fresh statistics at once, in this transaction: until autovacuum gets round to it the planner thinks a
            // new table is nearly empty, and the prepared claim sorted every queued job of the scanner (a claim took
            // 220 ms instead of 0.15 ms with 100 000 jobs, docs/performance.md).
            await using var analyze = Command(connection, "ANALYZE jobs");
            await analyze.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        return inserted;
    }

    /// <summary>How many jobs one insert adds before the store refreshes the planner's statistics of the jobs table.</summary>
    private const int AnalyzeAfterJobs = 10_000;

    /// <summary>The targets as the text search sees them: each address block and port list on its own line.</summary>
    private static string TargetText(IReadOnlyList<JobTarget> targets)
    {
        var text = new StringBuilder();
        foreach (var target in targets) text.Append(target.Cidr).Append('\n').Append(target.Ports).Append('\n');
        return text.ToString();
    }

    public Scan? GetScan(long scanId) => Read(connection =>
    {
        using var select = Command(connection, ScanSelect + "WHERE s.id = $1 GROUP BY s.id");
        select.Parameters.Add(Long(scanId));
        using var reader = select.ExecuteReader();
        return reader.Read() ? ReadScan(reader) : null;
    });

    public IReadOnlyList<Scan> ListScans() => Read(connection =>
    {
        using var select = Command(connection, ScanSelect + "GROUP BY s.id ORDER BY s.id DESC");
        var scans = new List<Scan>();
        using var reader = select.ExecuteReader();
        while (reader.Read()) scans.Add(ReadScan(reader));
        return scans;
    });

    private static async ValueTask<Scan?> ReadScanAsync(NpgsqlConnection connection, long scanId, CancellationToken ct)
    {
        await using var select = Command(connection, ScanSelect + "WHERE s.id = $1 GROUP BY s.id");
        select.Parameters.Add(Long(scanId));
        await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadScan(reader) : null;
    }

    private static Scan ReadScan(NpgsqlDataReader r) => new()
    {
        Id = r.GetInt64(0),
        Spec = JsonSerializer.Deserialize(r.GetString(1), PostgresJson.Default.ScanSpec) ?? throw new InvalidDataException("a scan without a spec"),
        Status = ParseScanStatus(r.GetString(2)),
        CreatedAt = Time(r, 3)!.Value,
        StartedAt = Time(r, 4),
        FinishedAt = Time(r, 5),
        Jobs = new JobCounts(r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11)),
        ProgressCount = r.GetInt64(12),
        ResultCount = r.GetInt64(13),
    };

    /// <summary>Locks a scan row (after any job rows: the store's lock order) and returns its status, or null.</summary>
    private static async ValueTask<ScanStatus?> LockScanAsync(NpgsqlConnection connection, long scanId, CancellationToken ct)
    {
        await using var select = Command(connection, "SELECT status FROM scans WHERE id = $1 FOR NO KEY UPDATE");
        select.Parameters.Add(Long(scanId));
        return await select.ExecuteScalarAsync(ct).ConfigureAwait(false) is string status ? ParseScanStatus(status) : null;
    }

    public ValueTask<(StoreStatus Status, Scan? Scan)> StopScanAsync(long scanId, DateTimeOffset now, CancellationToken ct = default) =>
        InTransactionAsync<(StoreStatus, Scan?)>(async (connection, token) =>
        {
            // Jobs first (lock order): queued ones are cancelled, claimed and running ones told to stop. One statement,
            // so a job re-queued or claimed meanwhile is judged on its newest state once its lock is ours.
            await using (var jobs = Command(connection,
                "WITH picked AS MATERIALIZED (SELECT id FROM jobs WHERE scan_id = $1 " +
                "AND (status = 'queued' OR (status IN ('claimed', 'running') AND (NOT stop_requested OR paused))) ORDER BY id FOR UPDATE) " +
                "UPDATE jobs SET updated_at = $2, " +
                "finished_at = CASE WHEN status = 'queued' THEN $2 ELSE finished_at END, " +
                "stop_requested = stop_requested OR status <> 'queued', paused = false, " +
                "status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END " +
                "WHERE id IN (SELECT id FROM picked) AND (status = 'queued' OR (status IN ('claimed', 'running') AND (NOT stop_requested OR paused)))"))
            {
                jobs.Parameters.Add(Long(scanId));
                jobs.Parameters.Add(At(now));
                await jobs.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }
            var status = await LockScanAsync(connection, scanId, token).ConfigureAwait(false);
            if (status is null) return (false, (StoreStatus.NotFound, null));
            if (status.Value.IsFinished()) return (false, (StoreStatus.InvalidTransition, await ReadScanAsync(connection, scanId, token).ConfigureAwait(false)));
            await using (var batch = new NpgsqlBatch(connection))
            {
                var change = new NpgsqlBatchCommand(status == ScanStatus.Scheduled
                    ? "UPDATE scans SET status = 'stopped', finished_at = $2 WHERE id = $1"
                    : "UPDATE scans SET status = 'stopping' WHERE id = $1");
                change.Parameters.Add(Long(scanId));
                if (status == ScanStatus.Scheduled) change.Parameters.Add(At(now));
                batch.BatchCommands.Add(change);
                // With nothing left to confirm the scan is stopped at once (the scan row is already locked).
                var rollUp = new NpgsqlBatchCommand(RollUpSql);
                rollUp.Parameters.Add(Long(scanId));
                rollUp.Parameters.Add(At(now));
                batch.BatchCommands.Add(rollUp);
                await batch.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }
            return (true, (StoreStatus.Ok, await ReadScanAsync(connection, scanId, token).ConfigureAwait(false)));
        }, ct);

    public ValueTask<StoreStatus> DeleteScheduledScanAsync(long scanId, CancellationToken ct = default) =>
        InTransactionAsync(async (connection, token) =>
        {
            await using var select = Command(connection, "SELECT status FROM scans WHERE id = $1 FOR UPDATE");
            select.Parameters.Add(Long(scanId));
            if (await select.ExecuteScalarAsync(token).ConfigureAwait(false) is not string status) return (false, StoreStatus.NotFound);
            if (ParseScanStatus(status) != ScanStatus.Scheduled) return (false, StoreStatus.InvalidTransition);
            await using var delete = Command(connection, "DELETE FROM scans WHERE id = $1");
            delete.Parameters.Add(Long(scanId));
            await delete.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return (true, StoreStatus.Ok);
        }, ct);

    public IReadOnlyList<Job> ListScanJobs(long scanId) => Read(connection =>
    {
        using var select = Command(connection, "SELECT " + JobColumns + " FROM jobs WHERE scan_id = $1 ORDER BY id");
        select.Parameters.Add(Long(scanId));
        return ReadJobs(select);
    });

    public ValueTask<(StoreStatus Status, Job? Job)> RerunAsync(long jobId, DateTimeOffset now, CancellationToken ct = default) =>
        InTransactionAsync<(StoreStatus, Job?)>(async (connection, token) =>
        {
            Job old;
            await using (var select = Command(connection, LockJobSql))
            {
                select.Parameters.Add(Long(jobId));
                await using var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false);
                if (!await reader.ReadAsync(token).ConfigureAwait(false)) return (false, (StoreStatus.NotFound, null));
                old = ReadJob(reader);
            }
            if (!old.Status.IsFinished()) return (false, (StoreStatus.InvalidTransition, old));
            await using (var supersede = Command(connection, "UPDATE jobs SET superseded = true, updated_at = $2 WHERE id = $1 AND NOT superseded"))
            {
                supersede.Parameters.Add(Long(jobId));
                supersede.Parameters.Add(At(now));
                await supersede.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }
            // The new attempt re-opens a finished scan; it rolls up again when the attempt finishes.
            var status = await LockScanAsync(connection, old.ScanId, token).ConfigureAwait(false);
            if (status is null) return (false, (StoreStatus.InvalidTransition, old));
            if (status is ScanStatus.Completed or ScanStatus.Failed or ScanStatus.Stopped)
            {
                await using var reopen = Command(connection, "UPDATE scans SET status = 'running', finished_at = NULL WHERE id = $1");
                reopen.Parameters.Add(Long(old.ScanId));
                await reopen.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }
            var created = await InsertJobsAsync(connection, old.ScanId, old.Automated, jobId,
                [NewJob.RerunOf(old)], now, token).ConfigureAwait(false);
            return (true, (StoreStatus.Ok, created[0]));
        }, ct);

    public ValueTask<long> RemoveFinishedBeforeAsync(DateTimeOffset cutoff, CancellationToken ct = default) =>
        InTransactionAsync(async (connection, token) =>
        {
            long removed;
            await using (var jobs = Command(connection, "DELETE FROM jobs WHERE created_at < $1 AND status IN ('completed', 'failed', 'cancelled')"))
            {
                jobs.Parameters.Add(At(cutoff));
                removed = await jobs.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }
            // A finished scan with no job left goes too (its findings, in the records schema, go with the next retention sweep).
            await using (var scans = Command(connection,
                "DELETE FROM scans s WHERE s.status IN ('stopped', 'completed', 'failed') AND s.finished_at < $1 " +
                "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.scan_id = s.id)"))
            {
                scans.Parameters.Add(At(cutoff));
                await scans.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }
            return (true, removed);
        }, ct);
}
