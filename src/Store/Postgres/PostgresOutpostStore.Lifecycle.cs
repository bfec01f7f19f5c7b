using Npgsql;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Postgres;

// The scanner protocol's hot path on PostgreSQL (docs/performance.md measures it).
//
// A claim is one statement: its SELECT (a materialized CTE) picks the scanner's oldest queued jobs (manual before automated) from the
// partial index of queued jobs and locks them with FOR UPDATE SKIP LOCKED; the outer UPDATE moves exactly those rows to
// claimed and returns them. Two claimers — on one node or on two — never wait for each other and never get the same
// row: a row one of them locked is skipped by the other, and a row that stopped being queued meanwhile is re-checked
// under its lock and dropped. No global lock, no read-then-write across statements.
//
// Start, progress and complete are one round trip when they succeed: a single conditional UPDATE whose WHERE admits
// exactly the rows on which JobTransitions.Decide moves the job (owned by the caller, in the right status) and whose
// SET writes what Decide would write. That is the one rule written a second time, in SQL; the contract test
// Every_transition_answers_as_the_spec_says runs the whole transition table through both. When the UPDATE matches
// no row (a refusal, a repeat, an unknown job) the slow path locks the row (SELECT … FOR UPDATE), asks
// JobTransitions itself, and answers exactly as the embedded store does.
//
// The roll-up (when a scan's last job finishes, the scan's outcome is decided in the same commit) has no hot row.
// A scan's jobs fall into 256 stripes by id. A transaction that finishes a job takes a transaction-scoped advisory
// lock on its job's stripe, then — in a new statement, so it sees every commit made before the lock was granted —
// asks whether any job of that stripe is unfinished. Only if none is does it lock the scan row and, in one more new
// statement, roll the scan up when no job of the whole scan is unfinished. Why that is exact: the last transaction to
// commit a finished job, L, sees its own stripe empty (every other finisher of that stripe queued behind the stripe
// lock and committed before L was granted it), so L locks the scan row. Any other finisher X committing after L's
// check did not lock the scan row (L held it), so X saw jobs of its stripe still unfinished; the last finisher of
// that stripe queues behind X's stripe lock, commits after X, sees its stripe empty and must lock the scan row too —
// after L committed, which contradicts L being last. So L's check sees every job finished. Stop and requeue, which
// finish many jobs at once, lock the scan row directly. Completions of one scan therefore wait for each other only
// when they share a stripe, and only the few that empty a stripe touch the scan row.
//
// The roll-up runs on the server (migration 7): outpost_roll_up_stripe does the stripe lock and check for one finished
// job, outpost_roll_up_scan the whole-scan check and outcome, so a completion is its UPDATE and one call, sent
// together in one round trip (one implicit transaction).
//
// Lock order: job rows, then one stripe lock, then the scan row.
//
// These methods are async because they wait on the network; they build no LINQ and format no strings.
public sealed partial class PostgresOutpostStore
{
    // The picking SELECT is a MATERIALIZED CTE, run exactly once: written inline as "WHERE id IN (SELECT … LIMIT n
    // FOR UPDATE SKIP LOCKED)" the planner may re-run it as the inner side of a semi-join, and every re-run locks and
    // hands out n more rows (a claim of 1 returned 2 in the contract tests). The UPDATE finds the picked rows as
    // "id = ANY (ARRAY(…))", a primary-key lookup whatever the plan: the statement is prepared, and a generic plan
    // (which does not know n) chose a hash join over a sequential scan of all jobs for "id IN (SELECT …)".
    // A scanner's own jobs come from jobs_queued ($1 its id), a pool's from jobs_queued_pool ($1 the pool's name):
    // two statements rather than one with an OR, so each reads its index in claim order and sorts nothing.
    internal const string ClaimSql = ClaimPick + "scanner_id = $1 AND pool IS NULL" + ClaimRest;

    internal const string ClaimFromPoolSql = ClaimPick + "pool = $1" + ClaimRest;

    private const string ClaimPick = "WITH picked AS MATERIALIZED (SELECT id FROM jobs WHERE ";

    private const string ClaimRest =
        " AND status = 'queued' AND (NOT automated OR $3) " +
        "AND ($6::text[] IS NULL OR name = ANY ($6::text[])) " +
        "ORDER BY automated, id LIMIT $2 FOR UPDATE SKIP LOCKED) " +
        "UPDATE jobs SET status = 'claimed', claimed_at = $4, source_ip = $5, updated_at = $4, scanner_id = $7 " +
        "WHERE id = ANY (ARRAY(SELECT id FROM picked)) AND status = 'queued' " +
        "RETURNING " + JobColumns;

    // The fast paths: JobTransitions' Start, Progress and Complete for the cases that change the job ($1 job, $2 scanner).
    private const string StartSql =
        "UPDATE jobs SET status = 'running', started_at = $3, updated_at = $3 WHERE id = $1 AND scanner_id = $2 AND status = 'claimed' " +
        "RETURNING stop_requested";

    // Counts and the cursor never go down: a report that raises none is left to the slow path (which answers Ok and writes nothing).
    private const string ProgressSql =
        "UPDATE jobs SET progress_count = greatest(progress_count, $3), result_count = greatest(result_count, $4), probe_cursor = greatest(probe_cursor, $6), " +
        "updated_at = $5 WHERE id = $1 AND scanner_id = $2 AND status = 'running' AND ($3 > progress_count OR $4 > result_count OR $6 > probe_cursor) " +
        "RETURNING stop_requested";

    // A scanner may finish a running job, or give up on a claimed one it could not start or was told to stop. A paused
    // job's completion re-queues it instead: the slow path decides that.
    private const string FinishSql =
        "UPDATE jobs SET status = $3, finished_at = $4, updated_at = $4, result_count = greatest(result_count, $5), " +
        "error_message = coalesce($6, error_message) " +
        "WHERE id = $1 AND scanner_id = $2 AND NOT paused AND (status = 'running' OR (status = 'claimed' AND ($3 = 'failed' OR stop_requested))) " +
        "RETURNING stop_requested";

    private const string LockJobSql = "SELECT " + JobColumns + " FROM jobs WHERE id = $1 FOR UPDATE";

    private const string WriteJobSql =
        "UPDATE jobs SET status = $2, attempts = $3, progress_count = $4, result_count = $5, stop_requested = $6, superseded = $7, " +
        "claimed_at = $8, started_at = $9, finished_at = $10, updated_at = $11, error_message = coalesce($12, error_message), probe_cursor = $13, " +
        "paused = $14 WHERE id = $1";

    // JobTransitions' Pause, for every held job of an automated scan at once.
    private const string PauseSql =
        "WITH picked AS MATERIALIZED (SELECT id FROM jobs WHERE automated AND status IN ('claimed', 'running') AND NOT stop_requested " +
        "ORDER BY id FOR UPDATE) " +
        "UPDATE jobs SET stop_requested = true, paused = true, updated_at = $1 " +
        "WHERE id IN (SELECT id FROM picked) AND automated AND status IN ('claimed', 'running') AND NOT stop_requested";

    private const string LockScanSql = "SELECT 1 FROM scans WHERE id = $1 FOR NO KEY UPDATE";

    /// <summary>Rolls scan $1 up when none of its jobs is unfinished ($2 the time); run only after the scan row was locked.</summary>
    private const string RollUpSql = "SELECT outpost_roll_up_scan($1, $2)";

    /// <summary>The stripe side of the roll-up, after job $1 was finished ($2 the time): see the file's remarks and migration 7.</summary>
    private const string RollUpStripeSql = "SELECT outpost_roll_up_stripe($1, $2)";

    public async ValueTask<IReadOnlyList<Job>> ClaimAsync(long scannerId, int max, string? sourceIp, DateTimeOffset now, bool automatedAllowed = true,
        IReadOnlyList<string>? jobNames = null, string? pool = null, CancellationToken ct = default)
    {
        if (max <= 0) return [];
        var ip = NormalizeIp(sourceIp);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            // The scanner's own queue first, then its pool's (docs/lifecycle.md); manual before automated within each.
            var claimed = await ClaimFromAsync(connection, ClaimSql, Long(scannerId), max, scannerId, ip, now, automatedAllowed, jobNames, null, ct)
                .ConfigureAwait(false);
            var own = claimed?.Count ?? 0;
            if (pool is not null && own < max)
            {
                claimed = await ClaimFromAsync(connection, ClaimFromPoolSql, Text(pool), max - own, scannerId, ip, now, automatedAllowed, jobNames, claimed, ct)
                    .ConfigureAwait(false);
            }
            return claimed ?? (IReadOnlyList<Job>)[];
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw Unavailable(e);
        }
    }

    /// <summary>One claim statement ($1 <paramref name="from"/>); appends what it claimed, in claim order, to <paramref name="claimed"/>.</summary>
    private static async ValueTask<List<Job>?> ClaimFromAsync(NpgsqlConnection connection, string sql, NpgsqlParameter from, int max, long scannerId,
        string? ip, DateTimeOffset now, bool automatedAllowed, IReadOnlyList<string>? jobNames, List<Job>? claimed, CancellationToken ct)
    {
        await using var claim = Command(connection, sql);
        claim.Parameters.Add(from);
        claim.Parameters.Add(Int(max));
        claim.Parameters.Add(Bool(automatedAllowed));
        claim.Parameters.Add(At(now));
        claim.Parameters.Add(Text(ip));
        // The capabilities the scanner advertised: jobs of other names stay queued for a scanner that can run them.
        claim.Parameters.Add(jobNames is null
            ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text }
            : new NpgsqlParameter<string[]> { TypedValue = jobNames as string[] ?? [.. jobNames], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        claim.Parameters.Add(Long(scannerId));
        var first = claimed?.Count ?? 0;
        await using (var reader = await claim.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) (claimed ??= new List<Job>(max)).Add(ReadJob(reader));
        }
        // RETURNING keeps no order: hand them out as claimed, manual first, oldest first.
        claimed?.Sort(first, claimed.Count - first, ClaimOrder.Instance);
        return claimed;
    }

    /// <summary>Manual before automated, then oldest first: the order a claim hands jobs out in.</summary>
    private sealed class ClaimOrder : IComparer<Job>
    {
        public static readonly ClaimOrder Instance = new();

        public int Compare(Job? a, Job? b) => a!.Automated != b!.Automated ? (a.Automated ? 1 : -1) : a.JobId.CompareTo(b.JobId);
    }

    public async ValueTask<JobUpdate> StartAsync(long scannerId, long jobId, DateTimeOffset now, CancellationToken ct = default)
    {
        var command = new JobCommand { Op = JobOp.Start, ScannerId = scannerId, Now = now.UtcTicks };
        await using (var batch = new NpgsqlBatch())
        {
            var start = new NpgsqlBatchCommand(StartSql);
            start.Parameters.Add(Long(jobId));
            start.Parameters.Add(Long(scannerId));
            start.Parameters.Add(At(command.Now));
            batch.BatchCommands.Add(start);
            if (await FastAsync(batch, ct).ConfigureAwait(false) is { } stop) return new JobUpdate(StoreStatus.Ok, stop);
        }
        return await ChangeJobAsync(jobId, command, null, ct).ConfigureAwait(false);
    }

    public async ValueTask<JobUpdate> ProgressAsync(long scannerId, long jobId, long progressCount, long resultCount, long cursor, DateTimeOffset now,
        CancellationToken ct = default)
    {
        var command = new JobCommand
        {
            Op = JobOp.Progress,
            ScannerId = scannerId,
            Now = now.UtcTicks,
            ProgressCount = progressCount,
            ResultCount = resultCount,
            Cursor = cursor,
        };
        await using (var batch = new NpgsqlBatch())
        {
            var progress = new NpgsqlBatchCommand(ProgressSql);
            progress.Parameters.Add(Long(jobId));
            progress.Parameters.Add(Long(scannerId));
            progress.Parameters.Add(Long(progressCount));
            progress.Parameters.Add(Long(resultCount));
            progress.Parameters.Add(At(command.Now));
            progress.Parameters.Add(Long(cursor));
            batch.BatchCommands.Add(progress);
            if (await FastAsync(batch, ct).ConfigureAwait(false) is { } stop) return new JobUpdate(StoreStatus.Ok, stop);
        }
        return await ChangeJobAsync(jobId, command, null, ct).ConfigureAwait(false);
    }

    public async ValueTask<JobUpdate> CompleteAsync(long scannerId, long jobId, bool failed, long? resultCount, string? errorMessage, DateTimeOffset now, CancellationToken ct = default)
    {
        var command = new JobCommand
        {
            Op = JobOp.Complete,
            ScannerId = scannerId,
            Now = now.UtcTicks,
            Failed = failed,
            ResultCount = resultCount ?? 0,
        };
        var errorText = failed ? errorMessage : null;
        await using (var batch = new NpgsqlBatch())
        {
            var finish = new NpgsqlBatchCommand(FinishSql);
            finish.Parameters.Add(Long(jobId));
            finish.Parameters.Add(Long(scannerId));
            finish.Parameters.Add(Text((failed ? JobStatus.Failed : JobStatus.Completed).ToWire()));
            finish.Parameters.Add(At(command.Now));
            finish.Parameters.Add(Long(command.ResultCount));
            finish.Parameters.Add(Text(errorText));
            batch.BatchCommands.Add(finish);
            // Sent with the UPDATE and run in its implicit transaction; when the UPDATE matched nothing they find
            // nothing to do (the roll-up only ever rolls up a scan with no unfinished job).
            AddStripeRollUp(batch, jobId, command.Now);
            if (await FastAsync(batch, ct).ConfigureAwait(false) is { } stop) return new JobUpdate(StoreStatus.Ok, stop);
        }
        return await ChangeJobAsync(jobId, command, errorText, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a fast-path batch (one round trip; its statements are one implicit transaction, committed durably) and
    /// returns the job's stop flag from its first statement, or null when the first statement matched no row.
    /// </summary>
    private async ValueTask<bool?> FastAsync(NpgsqlBatch batch, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                batch.Connection = connection;
                bool? stop = null;
                await using var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (await reader.ReadAsync(ct).ConfigureAwait(false)) stop = reader.GetBoolean(0);
                while (await reader.NextResultAsync(ct).ConfigureAwait(false))
                {
                }
                return stop;
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
        if (!before.Status.IsFinished() && after.Status.IsFinished()) AddStripeRollUp(batch, after.JobId, after.UpdatedAt);
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
        write.Parameters.Add(Long(after.Cursor));
        write.Parameters.Add(Bool(after.Has(JobFlags.Paused)));
        return write;
    }

    /// <summary>Appends "lock the job's stripe; if the stripe is done, lock the scan row and roll it up" (see the file's remarks).</summary>
    private static void AddStripeRollUp(NpgsqlBatch batch, long jobId, long atTicks)
    {
        var rollUp = new NpgsqlBatchCommand(RollUpStripeSql);
        rollUp.Parameters.Add(Long(jobId));
        rollUp.Parameters.Add(At(atTicks));
        batch.BatchCommands.Add(rollUp);
    }

    /// <summary>Appends "lock the scan row, then roll it up if no job is left unfinished", for changes that finish many jobs.</summary>
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

    public ValueTask<RequeueResult> RequeueAsync(long scannerId, IReadOnlyCollection<long>? jobIds, RequeueCause cause, int maxAttempts, DateTimeOffset now,
        CancellationToken ct = default) =>
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
                "SELECT " + JobColumns + " FROM jobs WHERE scanner_id = $1 AND status IN ('claimed', 'running') " +
                "AND ($2::bigint[] IS NULL OR id = ANY ($2::bigint[])) ORDER BY id FOR UPDATE"))
            {
                select.Parameters.Add(Long(scannerId));
                select.Parameters.Add(jobIds is null
                    ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint }
                    : new NpgsqlParameter<long[]> { TypedValue = [.. jobIds] });
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
                var error = after.Status == JobStatus.Failed ? cause.GaveUp(scannerName, before.Attempts + 1) : null;
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

    public ValueTask<int> PauseAutomatedJobsAsync(DateTimeOffset now, CancellationToken ct = default) =>
        InTransactionAsync(async (connection, token) =>
        {
            await using var pause = Command(connection, PauseSql);
            pause.Parameters.Add(At(now));
            var paused = await pause.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return (paused > 0, paused);
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
