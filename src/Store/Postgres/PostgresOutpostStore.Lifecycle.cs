using Outpost.Store.Lifecycle;
using Npgsql;
using Outpost.Store.Model;

namespace Outpost.Store.Postgres;

// The scanner protocol's hot path on PostgreSQL.
//
// A claim is one statement: its SELECT (a materialized CTE) picks the scanner's oldest queued jobs (manual before automated) from the
// partial index of queued jobs and locks them with FOR UPDATE SKIP LOCKED; the outer UPDATE moves exactly those rows to
// claimed and returns them. Two claimers — on one node or on two — never wait for each other and never get the same
// row: a row one of them locked is skipped by the other, and a row that stopped being queued meanwhile is re-checked
// under its lock and dropped. No global lock, no read-then-write across statements.
//
// Start, progress and complete lock their one job row (SELECT … FOR UPDATE), decide with the FASTER store's own
// transition function (JobTransitions), and write the new row. A completion that finishes a job also rolls its scan
// up in the same transaction (RollUpBatch): no counter row is updated per job; instead the scan row is locked only
// when one of its jobs finishes, and "was that the last one?" is a NOT EXISTS over the scan's unfinished jobs, run
// after the lock is held. Why that is exact: every finishing transaction changes its job row first and then waits
// for the scan row's lock; of two jobs finishing at once, the transaction that gets the lock second runs its
// NOT EXISTS after the first committed, so it sees both jobs finished and rolls the scan up; the first saw the
// second's job still running and left it. Claims, starts and progress reports never touch the scan row, so a big
// scan's hot path has no shared row; only completions of one scan take turns, for the length of one commit.
//
// These methods are async because they wait on the network; they build no LINQ and format no strings.
public sealed partial class PostgresOutpostStore
{
    // The picking SELECT is a MATERIALIZED CTE, run exactly once: written inline as "WHERE id IN (SELECT … LIMIT n
    // FOR UPDATE SKIP LOCKED)" the planner may re-run it as the inner side of a semi-join, and every re-run locks and
    // hands out n more rows (a claim of 1 returned 2 in the contract tests).
    internal const string ClaimSql =
        "WITH picked AS MATERIALIZED (SELECT id FROM jobs WHERE scanner_id = $1 AND status = 'queued' AND (NOT automated OR $3) " +
        "AND ($6::text[] IS NULL OR name = ANY ($6::text[])) " +
        "ORDER BY automated, id LIMIT $2 FOR UPDATE SKIP LOCKED) " +
        "UPDATE jobs SET status = 'claimed', claimed_at = $4, source_ip = $5, updated_at = $4 " +
        "WHERE id IN (SELECT id FROM picked) AND status = 'queued' " +
        "RETURNING " + JobColumns;

    private const string LockJobSql = "SELECT " + JobColumns + " FROM jobs WHERE id = $1 FOR UPDATE";

    private const string WriteJobSql =
        "UPDATE jobs SET status = $2, attempts = $3, progress_count = $4, result_count = $5, stop_requested = $6, superseded = $7, " +
        "claimed_at = $8, started_at = $9, finished_at = $10, updated_at = $11, error_message = coalesce($12, error_message) WHERE id = $1";

    private const string LockScanSql = "SELECT 1 FROM scans WHERE id = $1 FOR NO KEY UPDATE";

    /// <summary>Rolls a scan up when none of its jobs is unfinished; run only while the scan row is locked.</summary>
    private const string RollUpSql =
        "UPDATE scans SET finished_at = $2, status = CASE WHEN status = 'stopping' THEN 'stopped' " +
        "WHEN EXISTS (SELECT 1 FROM jobs WHERE scan_id = $1 AND status = 'failed' AND NOT superseded) THEN 'failed' ELSE 'completed' END " +
        "WHERE id = $1 AND status IN ('running', 'stopping') " +
        "AND NOT EXISTS (SELECT 1 FROM jobs WHERE scan_id = $1 AND status IN ('queued', 'claimed', 'running'))";

    public async ValueTask<IReadOnlyList<Job>> ClaimAsync(long scannerId, int max, string? sourceIp, DateTimeOffset now, bool automatedAllowed = true,
        IReadOnlyList<string>? jobNames = null, CancellationToken ct = default)
    {
        if (max <= 0) return [];
        var ip = NormalizeIp(sourceIp);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var claim = Command(connection, ClaimSql);
            claim.Parameters.Add(Long(scannerId));
            claim.Parameters.Add(Int(max));
            claim.Parameters.Add(Bool(automatedAllowed));
            claim.Parameters.Add(At(now));
            claim.Parameters.Add(Text(ip));
            // The capabilities the scanner advertised: jobs of other names stay queued for a scanner that can run them.
            claim.Parameters.Add(jobNames is null
                ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text }
                : new NpgsqlParameter<string[]> { TypedValue = jobNames as string[] ?? [.. jobNames], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            List<Job>? claimed = null;
            await using (var reader = await claim.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false)) (claimed ??= new List<Job>(max)).Add(ReadJob(reader));
            }
            if (claimed is null) return [];
            // RETURNING keeps no order: hand them out as claimed, manual first, oldest first.
            claimed.Sort(static (a, b) => a.Automated != b.Automated ? (a.Automated ? 1 : -1) : a.JobId.CompareTo(b.JobId));
            return claimed;
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    public ValueTask<JobUpdate> StartAsync(long scannerId, long jobId, DateTimeOffset now, CancellationToken ct = default) =>
        ChangeJobAsync(jobId, new JobCommand { Op = JobOp.Start, ScannerId = scannerId, Now = now.UtcTicks }, null, ct);

    public ValueTask<JobUpdate> ProgressAsync(long scannerId, long jobId, long progressCount, long resultCount, DateTimeOffset now, CancellationToken ct = default) =>
        ChangeJobAsync(jobId, new JobCommand { Op = JobOp.Progress, ScannerId = scannerId, Now = now.UtcTicks, ProgressCount = progressCount, ResultCount = resultCount }, null, ct);

    public ValueTask<JobUpdate> CompleteAsync(long scannerId, long jobId, bool failed, long? resultCount, string? errorMessage, DateTimeOffset now, CancellationToken ct = default) =>
        ChangeJobAsync(jobId, new JobCommand
        {
            Op = JobOp.Complete,
            ScannerId = scannerId,
            Now = now.UtcTicks,
            Failed = failed,
            ResultCount = resultCount ?? 0,
        }, failed ? errorMessage : null, ct);

    private ValueTask<JobUpdate> ChangeJobAsync(long jobId, JobCommand command, string? errorText, CancellationToken ct) =>
        InTransactionAsync(async (connection, token) =>
        {
            var (status, changed, record) = await ApplyAsync(connection, jobId, command, errorText, token).ConfigureAwait(false);
            return (changed, new JobUpdate(status, record.Has(JobFlags.StopRequested)));
        }, ct);

    /// <summary>Locks one job row, decides, and writes the change (with its scan's roll-up when it finished the job).</summary>
    private static async ValueTask<(StoreStatus Status, bool Changed, JobRecord Record)> ApplyAsync(NpgsqlConnection connection, long jobId,
        JobCommand command, string? errorText, CancellationToken ct)
    {
        JobRecord before;
        await using (var select = Command(connection, LockJobSql))
        {
            select.Parameters.Add(Long(jobId));
            await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false)) return (StoreStatus.NotFound, false, default);
            before = ReadRecord(reader);
        }
        if (!JobTransitions.Decide(ref command, in before, out var after, out var status)) return (status, false, before);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(WriteJob(in before, in after, errorText));
        if (!before.Status.IsFinished() && after.Status.IsFinished()) AddRollUp(batch, after.ScanId, after.UpdatedAt);
        await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return (status, true, after);
    }

    private static NpgsqlBatchCommand WriteJob(in JobRecord before, in JobRecord after, string? errorText)
    {
        var write = new NpgsqlBatchCommand(WriteJobSql);
        write.Parameters.Add(Long(after.JobId));
        write.Parameters.Add(Text(after.Status.ToWire()));
        write.Parameters.Add(Int(after.Attempts));
        write.Parameters.Add(Long(after.ProgressCount));
        write.Parameters.Add(Long(after.ResultCount));
        write.Parameters.Add(Bool(after.Has(JobFlags.StopRequested)));
        write.Parameters.Add(Bool(after.Has(JobFlags.Superseded)));
        write.Parameters.Add(At(after.ClaimedAt));
        write.Parameters.Add(At(after.StartedAt));
        write.Parameters.Add(At(after.FinishedAt));
        write.Parameters.Add(At(after.UpdatedAt));
        // The error text of the change to failed; a repeat of an already-failed completion keeps the first text.
        write.Parameters.Add(Text(after.Status == JobStatus.Failed && before.Status != JobStatus.Failed ? errorText : null));
        return write;
    }

    /// <summary>Appends "lock the scan row, then roll it up if no job is left unfinished" (see the file's remarks).</summary>
    private static void AddRollUp(NpgsqlBatch batch, long scanId, long atTicks)
    {
        var lockScan = new NpgsqlBatchCommand(LockScanSql);
        lockScan.Parameters.Add(Long(scanId));
        batch.BatchCommands.Add(lockScan);
        var rollUp = new NpgsqlBatchCommand(RollUpSql);
        rollUp.Parameters.Add(Long(scanId));
        rollUp.Parameters.Add(At(atTicks));
        batch.BatchCommands.Add(rollUp);
    }

    public ValueTask<RequeueResult> RequeueScannerJobsAsync(long scannerId, int maxAttempts, DateTimeOffset now, CancellationToken ct = default) =>
        InTransactionAsync(async (connection, token) =>
        {
            string scannerName;
            await using (var name = Command(connection, "SELECT name FROM scanners WHERE id = $1"))
            {
                name.Parameters.Add(Long(scannerId));
                scannerName = await name.ExecuteScalarAsync(token).ConfigureAwait(false) as string ?? "#" + scannerId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            var held = new List<JobRecord>();
            await using (var select = Command(connection,
                "SELECT " + JobColumns + " FROM jobs WHERE scanner_id = $1 AND status IN ('claimed', 'running') ORDER BY id FOR UPDATE"))
            {
                select.Parameters.Add(Long(scannerId));
                await using var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false)) held.Add(ReadRecord(reader));
            }
            if (held.Count == 0) return (false, new RequeueResult(0, 0));
            int requeued = 0, failed = 0;
            var finishedScans = new SortedSet<long>();
            await using var batch = new NpgsqlBatch(connection);
            foreach (var before in held)
            {
                var command = new JobCommand { Op = JobOp.Requeue, ScannerId = scannerId, Now = now.UtcTicks, MaxAttempts = maxAttempts };
                if (!JobTransitions.Decide(ref command, in before, out var after, out _)) continue;
                var error = after.Status == JobStatus.Failed
                    ? $"scanner {scannerName} went offline while holding the job; gave up after {before.Attempts + 1} attempts"
                    : null;
                batch.BatchCommands.Add(WriteJob(in before, in after, error));
                if (after.Status == JobStatus.Queued) requeued++;
                else
                {
                    failed++;
                    finishedScans.Add(after.ScanId);
                }
            }
            // Scan rows after every job row, in id order: the store's lock order.
            foreach (var scanId in finishedScans) AddRollUp(batch, scanId, now.UtcTicks);
            if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return (true, new RequeueResult(requeued, failed));
        }, ct);

    public Job? GetJob(long jobId) => Read(connection =>
    {
        using var select = Command(connection, "SELECT " + JobColumns + " FROM jobs WHERE id = $1");
        select.Parameters.Add(Long(jobId));
        using var reader = select.ExecuteReader();
        return reader.Read() ? ReadJob(reader) : null;
    });

    public IReadOnlyList<Job> ListActiveJobs(long scannerId) => Read(connection =>
    {
        using var select = Command(connection, "SELECT " + JobColumns + " FROM jobs WHERE scanner_id = $1 AND status IN ('claimed', 'running') ORDER BY id");
        select.Parameters.Add(Long(scannerId));
        return ReadJobs(select);
    });

    private static List<Job> ReadJobs(NpgsqlCommand select)
    {
        var jobs = new List<Job>();
        using var reader = select.ExecuteReader();
        while (reader.Read()) jobs.Add(ReadJob(reader));
        return jobs;
    }
}
