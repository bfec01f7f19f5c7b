namespace Outpost.Store.Model;

/// <summary>A job as the store reports it: its immutable spec together with its current state.</summary>
public sealed record Job
{
    public required long JobId { get; init; }
    public required long ScanId { get; init; }
    /// <summary>The scanner the job is assigned to or was last held by; 0 for a pool's job no member has claimed yet.</summary>
    public required long ScannerId { get; init; }
    /// <summary>The pool whose members may claim the job, or null for a job assigned to one scanner.</summary>
    public string? Pool { get; init; }
    public required string Name { get; init; }
    public required IReadOnlyList<JobTarget> Targets { get; init; }
    public required int MaxProbesPerSecond { get; init; }
    /// <summary>The job this one re-runs, or null for a first attempt.</summary>
    public long? RerunOf { get; init; }
    /// <summary>True when the scan was started by its schedule rather than by an admin.</summary>
    public bool Automated { get; init; }

    public required JobStatus Status { get; init; }
    /// <summary>How many times the job was handed to a scanner (re-queueing after a lease expiry adds one).</summary>
    public required int Attempts { get; init; }
    public required long ProgressCount { get; init; }
    public required long ResultCount { get; init; }
    /// <summary>The largest cursor a store keeps (48 bits: far beyond the probes of any job the planner makes).</summary>
    public const long MaxCursor = (1L << 48) - 1;

    /// <summary>The permutation index below which every probe was sent (docs/protocol.md); a re-queued job's next holder resumes there.</summary>
    public long Cursor { get; init; }
    /// <summary>
    /// The seed of the job's probe order: a function of its id, so every holder of the job walks the same permutation
    /// and <see cref="Cursor"/> means the same probes to each. Below 2^53, so it survives any JSON reader.
    /// </summary>
    public long Seed => (long)(Mix((ulong)JobId) >> 11);
    /// <summary>Set when the job's scan is stopping: the scanner is told to stop and complete it.</summary>
    public required bool StopRequested { get; init; }
    /// <summary>The IP address the scanner claimed the job from (attribution).</summary>
    public string? SourceIp { get; init; }
    public string? ErrorMessage { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ClaimedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }

    // SplitMix64's finalizer: neighbouring ids get unrelated seeds.
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
