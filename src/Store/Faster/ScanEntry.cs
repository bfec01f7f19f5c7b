using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

/// <summary>
/// A scan as the store holds it in memory: its immutable spec, its status (changed by compare-and-swap so a
/// roll-up happens once), its persisted timestamps and job id ranges, and its derived <see cref="ScanTally"/>.
/// </summary>
internal sealed class ScanEntry(long id, ScanSpec spec, ScanStatus status, long createdAt)
{
    private int _status = (int)status;

    public long Id { get; } = id;
    public ScanSpec Spec { get; } = spec;
    public long CreatedAt { get; } = createdAt;
    public long StartedAt { get; set; }
    public long FinishedAt { get; set; }
    private JobIdRange[] _jobRanges = [];

    /// <summary>Ids of the scan's jobs: one range per dispatch, one single-id range per re-run. Copy on write, so
    /// readers (claims, recovery's parallel rebuild) take no lock.</summary>
    public JobIdRange[] JobRanges => Volatile.Read(ref _jobRanges);

    /// <summary>Adds a range; callers hold the catalog lock, the only writer.</summary>
    public void AddJobRange(JobIdRange range) => Volatile.Write(ref _jobRanges, [.. _jobRanges, range]);

    public void SetJobRanges(IEnumerable<JobIdRange> ranges) => Volatile.Write(ref _jobRanges, [.. ranges]);
    public ScanTally Tally { get; } = new();
    /// <summary>Held while a status change of this scan is decided and logged, so the log keeps their order.</summary>
    public Lock Gate { get; } = new();

    public ScanStatus Status => (ScanStatus)Volatile.Read(ref _status);

    public bool TryMove(ScanStatus from, ScanStatus to) => Interlocked.CompareExchange(ref _status, (int)to, (int)from) == (int)from;

    public void Set(ScanStatus to) => Volatile.Write(ref _status, (int)to);

    public bool OwnsJob(long jobId)
    {
        foreach (var range in JobRanges)
            if (jobId >= range.First && jobId <= range.Last) return true;
        return false;
    }

    /// <summary>
    /// Called by the completion that finished the scan's last job: moves running → completed/failed or
    /// stopping → stopped. Returns the new status, or null when another completion already rolled it up.
    /// </summary>
    public ScanStatus? TryRollUp(long atTicks)
    {
        var current = Status;
        var next = current switch
        {
            ScanStatus.Running => Tally.AnyFailed ? ScanStatus.Failed : ScanStatus.Completed,
            ScanStatus.Stopping => ScanStatus.Stopped,
            _ => (ScanStatus?)null,
        };
        if (next is null || !TryMove(current, next.Value)) return null;
        FinishedAt = atTicks;
        return next;
    }

    public Scan ToModel() => new()
    {
        Id = Id,
        Spec = Spec,
        Status = Status,
        Jobs = Tally.Counts,
        ProgressCount = Tally.ProgressTotal,
        ResultCount = Tally.ResultTotal,
        CreatedAt = Ticks.ToTime(CreatedAt),
        StartedAt = Ticks.ToTimeOrNull(StartedAt),
        FinishedAt = Ticks.ToTimeOrNull(FinishedAt),
    };

    public ScanState ToState() => new(Id, Spec, Status, CreatedAt, StartedAt, FinishedAt, [.. JobRanges]);
}

internal readonly record struct JobIdRange(long First, long Last);
