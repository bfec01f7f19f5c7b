using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

/// <summary>
/// A scan's live job counts, derived from its jobs' records (rebuilt on recovery, never persisted).
///
/// Every lifecycle change of a job moves one count, and the completion of the scan's last job must be noticed
/// exactly once so the scan rolls up in that job's commit. A single counter per scan would make every
/// completion of a big scan serialise on one cache line; instead the counts are striped by job id, and only a
/// job that empties its own stripe's unfinished count sums the stripes. Every update is an interlocked (fully
/// fenced) operation, so when the last two jobs finish at once on different stripes at least one of them sees
/// both stripes at zero; the scan's status CAS then lets exactly one of them roll it up.
/// </summary>
internal sealed class ScanTally
{
    private const int Stripes = 8;
    // Fields of one stripe; a stripe spans 128 bytes so two stripes never share a cache line.
    private const int Unfinished = 0, Progress = 1, Results = 2, Failed = 3, StatusBase = 4, Width = 16;
    private readonly long[] _cells = new long[Stripes * Width];

    private static int Stripe(long jobId) => (int)((ulong)jobId % Stripes) * Width;

    /// <summary>Counts a job that now exists (creation, rerun, recovery).</summary>
    public void Add(in JobRecord job)
    {
        var s = Stripe(job.JobId);
        Interlocked.Increment(ref _cells[s + StatusBase + (int)job.Status]);
        Interlocked.Add(ref _cells[s + Progress], job.ProgressCount);
        Interlocked.Add(ref _cells[s + Results], job.ResultCount);
        if (!job.Status.IsFinished()) Interlocked.Increment(ref _cells[s + Unfinished]);
        else if (job.Status == JobStatus.Failed && !job.Has(JobFlags.Superseded)) Interlocked.Increment(ref _cells[s + Failed]);
    }

    /// <summary>Moves a job's counts from <paramref name="before"/> to <paramref name="after"/>.
    /// Returns true when this change finished the scan's last unfinished job.</summary>
    public bool Move(in JobRecord before, in JobRecord after)
    {
        var s = Stripe(after.JobId);
        if (before.Status != after.Status)
        {
            Interlocked.Decrement(ref _cells[s + StatusBase + (int)before.Status]);
            Interlocked.Increment(ref _cells[s + StatusBase + (int)after.Status]);
        }
        if (after.ProgressCount != before.ProgressCount) Interlocked.Add(ref _cells[s + Progress], after.ProgressCount - before.ProgressCount);
        if (after.ResultCount != before.ResultCount) Interlocked.Add(ref _cells[s + Results], after.ResultCount - before.ResultCount);
        var failedBefore = before.Status == JobStatus.Failed && !before.Has(JobFlags.Superseded);
        var failedAfter = after.Status == JobStatus.Failed && !after.Has(JobFlags.Superseded);
        if (failedAfter != failedBefore) Interlocked.Add(ref _cells[s + Failed], failedAfter ? 1 : -1);
        if (before.Status.IsFinished() || !after.Status.IsFinished()) return false;
        return Interlocked.Decrement(ref _cells[s + Unfinished]) == 0 && UnfinishedTotal() == 0;
    }

    /// <summary>Adds another tally's counts (recovery builds tallies per thread, then merges them).</summary>
    public void AddFrom(ScanTally other)
    {
        for (var i = 0; i < _cells.Length; i++)
            if (other._cells[i] != 0) Interlocked.Add(ref _cells[i], other._cells[i]);
    }

    /// <summary>Forgets a job (retention).</summary>
    public void Remove(in JobRecord job)
    {
        var s = Stripe(job.JobId);
        Interlocked.Decrement(ref _cells[s + StatusBase + (int)job.Status]);
        Interlocked.Add(ref _cells[s + Progress], -job.ProgressCount);
        Interlocked.Add(ref _cells[s + Results], -job.ResultCount);
        if (!job.Status.IsFinished()) Interlocked.Decrement(ref _cells[s + Unfinished]);
        else if (job.Status == JobStatus.Failed && !job.Has(JobFlags.Superseded)) Interlocked.Decrement(ref _cells[s + Failed]);
    }

    public long UnfinishedTotal() => Sum(Unfinished);

    public bool AnyFailed => Sum(Failed) > 0;

    public long ProgressTotal => Sum(Progress);

    public long ResultTotal => Sum(Results);

    public JobCounts Counts => new(Sum(StatusBase + (int)JobStatus.Queued), Sum(StatusBase + (int)JobStatus.Claimed),
        Sum(StatusBase + (int)JobStatus.Running), Sum(StatusBase + (int)JobStatus.Completed),
        Sum(StatusBase + (int)JobStatus.Failed), Sum(StatusBase + (int)JobStatus.Cancelled));

    private long Sum(int field)
    {
        long total = 0;
        for (var s = 0; s < Stripes; s++) total += Volatile.Read(ref _cells[s * Width + field]);
        return total;
    }
}
