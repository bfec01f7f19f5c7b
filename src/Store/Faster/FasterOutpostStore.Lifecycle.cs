using System.Text;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

// The scanner protocol's hot path: claim, start, progress, complete. Each is one RMW on the job's record (see
// JobFunctions) followed by a wait for the group commit that makes it durable. No lock is taken here: claimers
// of one scanner (and the members of one pool) share a lock-free queue of candidate ids and the RMW decides who gets each job.
public sealed partial class FasterOutpostStore
{
    public async ValueTask<IReadOnlyList<Job>> ClaimAsync(long scannerId, int max, string? sourceIp, DateTimeOffset now, bool automatedAllowed = true,
        IReadOnlyList<string>? jobNames = null, string? pool = null, CancellationToken ct = default)
    {
        EnsureWritable();
        var queue = _queues.For(scannerId);
        var command = new JobCommand { Op = JobOp.Claim, ScannerId = scannerId, Now = Ticks.Of(now), SourceIp = IpBytes.From(sourceIp) };
        List<Job>? claimed = null;
        long until = 0;
        // The scanner's own queue first, then its pool's (docs/lifecycle.md).
        ClaimFrom(queue, queue, ref command, max, jobNames, automatedAllowed, ref claimed, ref until);
        if (pool is not null && (claimed?.Count ?? 0) < max)
        {
            command.FromPool = true;
            ClaimFrom(_queues.ForPool(pool), queue, ref command, max, jobNames, automatedAllowed, ref claimed, ref until);
        }
        if (claimed is null) return [];
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return claimed;
    }

    /// <summary>Claims from <paramref name="from"/> until <paramref name="max"/> are claimed or it is empty; the claimed ids become the <paramref name="holder"/>'s.</summary>
    private void ClaimFrom(ScannerQueue from, ScannerQueue holder, ref JobCommand command, int max, IReadOnlyList<string>? jobNames, bool automatedAllowed,
        ref List<Job>? claimed, ref long until)
    {
        // Manual scans first, then, when allowed, automated ones, of the capabilities asked for: each queue is oldest first.
        while ((claimed?.Count ?? 0) < max && from.TryDequeue(jobNames, automatedAllowed, out var jobId))
        {
            var outcome = _jobs.Execute(jobId, ref command);
            // Refused: the job was cancelled (its scan stopped) after it was queued. Drop the id.
            if (outcome.Status != StoreStatus.Ok || !outcome.Changed) continue;
            holder.Active[jobId] = 0;
            (claimed ??= new List<Job>(max)).Add(ToJob(in outcome.Record));
            until = outcome.WalUntil;
        }
    }

    public ValueTask<JobUpdate> StartAsync(long scannerId, long jobId, DateTimeOffset now, CancellationToken ct = default)
    {
        EnsureWritable();
        var command = new JobCommand { Op = JobOp.Start, ScannerId = scannerId, Now = Ticks.Of(now) };
        return ExecuteAsync(jobId, ref command, ct);
    }

    public ValueTask<JobUpdate> ProgressAsync(long scannerId, long jobId, long progressCount, long resultCount, long cursor, DateTimeOffset now, CancellationToken ct = default)
    {
        EnsureWritable();
        var command = new JobCommand
        {
            Op = JobOp.Progress,
            ScannerId = scannerId,
            Now = Ticks.Of(now),
            ProgressCount = progressCount,
            ResultCount = resultCount,
            Cursor = cursor,
        };
        return ExecuteAsync(jobId, ref command, ct);
    }

    public ValueTask<JobUpdate> CompleteAsync(long scannerId, long jobId, bool failed, long? resultCount, string? errorMessage, DateTimeOffset now, CancellationToken ct = default)
    {
        EnsureWritable();
        var command = new JobCommand
        {
            Op = JobOp.Complete,
            ScannerId = scannerId,
            Now = Ticks.Of(now),
            Failed = failed,
            ResultCount = resultCount ?? 0,
            ErrorText = failed ? errorMessage : null,
        };
        if (command.ErrorText is not null) WriteErrorBeforeFailing(scannerId, jobId, command.ErrorText);
        return ExecuteAsync(jobId, ref command, ct);
    }

    /// <summary>
    /// A failure's text goes into the blob table before the RMW that logs it, for the same reason a job's spec
    /// does: a checkpoint must never hold the log position of a change without the data it names. Only the holder of
    /// a job that may still fail writes it (anyone else's request is refused by the RMW and must leave no trace), and
    /// a repeat of an already-failed completion keeps the first text.
    /// </summary>
    private void WriteErrorBeforeFailing(long scannerId, long jobId, string errorText)
    {
        if (!_jobs.TryRead(jobId, out var current) || current.ScannerId != scannerId || current.Status is not (JobStatus.Claimed or JobStatus.Running)) return;
        _blobs.Put(jobId, BlobKind.Error, Encoding.UTF8.GetBytes(errorText));
    }

    public async ValueTask<RequeueResult> RequeueAsync(long scannerId, IReadOnlyCollection<long>? jobIds, RequeueCause cause, int maxAttempts, DateTimeOffset now,
        CancellationToken ct = default)
    {
        EnsureWritable();
        var queue = _queues.For(scannerId);
        var scannerName = _catalog.Scanner(scannerId)?.Name ?? $"#{scannerId}";
        int requeued = 0, failed = 0;
        long until = 0;
        foreach (var jobId in (jobIds ?? (IEnumerable<long>)queue.Active.Keys).Order())
        {
            // Only what the scanner holds: the RMW refuses anyone else's job, and an id it no longer holds is no concern of this.
            if (!queue.Active.ContainsKey(jobId)) continue;
            var command = new JobCommand { Op = JobOp.Requeue, ScannerId = scannerId, Now = Ticks.Of(now), MaxAttempts = maxAttempts };
            if (_jobs.TryRead(jobId, out var current) && current.Attempts >= maxAttempts)
            {
                command.ErrorText = cause.GaveUp(scannerName, current.Attempts + 1);
                WriteErrorBeforeFailing(scannerId, jobId, command.ErrorText);
            }
            var outcome = _jobs.Execute(jobId, ref command);
            queue.Active.TryRemove(jobId, out _);
            if (!outcome.Changed) continue;
            until = Math.Max(until, outcome.WalUntil);
            if (outcome.Record.Status == JobStatus.Queued)
            {
                HomeQueue(in outcome.Record, queue).For(in outcome.Record, CapabilityOf(outcome.Record.ScanId)).Retry.Enqueue(jobId);
                requeued++;
            }
            else
            {
                failed++;
            }
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return new RequeueResult(requeued, failed);
    }

    public async ValueTask<int> PauseAutomatedJobsAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        EnsureWritable();
        int paused = 0;
        long until = 0;
        foreach (var queue in _queues.All)
        {
            foreach (var jobId in queue.Active.Keys.Order())
            {
                var command = new JobCommand { Op = JobOp.Pause, Now = Ticks.Of(now) };
                var outcome = _jobs.Execute(jobId, ref command);
                if (!outcome.Changed) continue;
                until = Math.Max(until, outcome.WalUntil);
                paused++;
            }
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return paused;
    }

    /// <summary>The job name a scan's jobs run: the queue they wait in.</summary>
    private string CapabilityOf(long scanId) => _catalog.Scan(scanId)?.Spec.Capability ?? ScanSpec.DefaultCapability;

    public Job? GetJob(long jobId) => _jobs.TryRead(jobId, out var record) ? ToJob(in record) : null;

    public IReadOnlyList<Job> ListActiveJobs(long scannerId)
    {
        var result = new List<Job>();
        foreach (var jobId in _queues.For(scannerId).Active.Keys.Order())
            if (_jobs.TryRead(jobId, out var record) && record.Status is JobStatus.Claimed or JobStatus.Running) result.Add(ToJob(in record));
        return result;
    }

    /// <summary>Where a job goes back to the queue: a pool's job to its pool (any member takes it), the others to their scanner.</summary>
    private ScannerQueue HomeQueue(in JobRecord record, ScannerQueue holder) =>
        record.Has(JobFlags.Pooled) && ReadSpec(record.JobId).Pool is { } pool ? _queues.ForPool(pool) : holder;

    private ValueTask<JobUpdate> ExecuteAsync(long jobId, ref JobCommand command, CancellationToken ct)
    {
        var outcome = _jobs.Execute(jobId, ref command);
        if (outcome.Changed && (outcome.Record.Status.IsFinished() || outcome.Record.Status == JobStatus.Queued))
        {
            var queue = _queues.For(outcome.Record.ScannerId);
            queue.Active.TryRemove(jobId, out _);
            // A job paused at a window's end came back with its completion: it waits for the next window, before new jobs.
            if (outcome.Record.Status == JobStatus.Queued)
                HomeQueue(in outcome.Record, queue).For(in outcome.Record, CapabilityOf(outcome.Record.ScanId)).Retry.Enqueue(jobId);
        }
        var update = new JobUpdate(outcome.Status, outcome.Record.Has(JobFlags.StopRequested));
        if (outcome.Status == StoreStatus.NotFound) return ValueTask.FromResult(update);
        // An answer that changed nothing (an idempotent repeat, a refusal) still rests on state some earlier,
        // maybe uncommitted, entry produced: wait for everything logged so far before answering.
        var until = outcome.Changed ? outcome.WalUntil : _wal.TailAddress;
        return _wal.CommittedUntilAddress >= until ? ValueTask.FromResult(update) : AwaitDurable(until, update, ct);
    }

    private async ValueTask<JobUpdate> AwaitDurable(long until, JobUpdate update, CancellationToken ct)
    {
        await _wal.WaitCommittedAsync(until, ct).ConfigureAwait(false);
        return update;
    }
}
