namespace Outpost.Store.Model;

/// <summary>What an admin asked for: immutable once created.</summary>
public sealed record ScanSpec
{
    /// <summary>The capability of a scan that names none.</summary>
    public const string DefaultCapability = "portscan";

    private readonly string? _capability;
    private readonly IReadOnlyList<string>? _pools;

    public required string Name { get; init; }
    /// <summary>
    /// The capability (job name) every job of the scan runs (docs/capabilities.md); scans stored before there were
    /// capabilities are port scans (the JSON readers set a missing init-only member to null, hence the fallback in
    /// the getter rather than an initializer).
    /// </summary>
    public string Capability { get => _capability ?? DefaultCapability; init => _capability = value; }
    /// <summary>Targets as entered: CIDRs, single IPs, ranges.</summary>
    public required IReadOnlyList<string> Targets { get; init; }
    public required string Ports { get; init; }
    public required IReadOnlyList<long> ScannerIds { get; init; }
    /// <summary>Pools the scan targets next to <see cref="ScannerIds"/>; scans stored before pools read as none.</summary>
    public IReadOnlyList<string> Pools { get => _pools ?? []; init => _pools = value; }
    public int? MaxProbesPerSecond { get; init; }
    /// <summary>Start time of a one-off scheduled scan (null: now).</summary>
    public DateTimeOffset? ScheduledAt { get; init; }
    /// <summary>The recurring schedule this scan is a run of, if any.</summary>
    public long? ScheduleId { get; init; }
    /// <summary>True when the scheduler started the scan; false for an admin's manual scan.</summary>
    public bool Automated { get; init; }
    /// <summary>
    /// The Assets page action (<c>comprehensive</c>, <c>portscan</c>, <c>webscan</c>, <c>webcrawl</c>) that started this scan
    /// or the chain it belongs to; null for scans made otherwise. Its follow-ups act on what the action asks for.
    /// </summary>
    public string? Action { get; init; }
    /// <summary>The scan whose processed results this automated follow-up scan acts on; null for other scans.</summary>
    public long? FollowUpOf { get; init; }
}

/// <summary>Job counts of a scan by status.</summary>
public sealed record JobCounts(long Queued, long Claimed, long Running, long Completed, long Failed, long Cancelled)
{
    public static readonly JobCounts Zero = new(0, 0, 0, 0, 0, 0);
    public long Total => Queued + Claimed + Running + Completed + Failed + Cancelled;
    public long Unfinished => Queued + Claimed + Running;
}

/// <summary>A scan as the store reports it.</summary>
public sealed record Scan
{
    public required long Id { get; init; }
    public required ScanSpec Spec { get; init; }
    public required ScanStatus Status { get; init; }
    public required JobCounts Jobs { get; init; }
    public required long ProgressCount { get; init; }
    public required long ResultCount { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}
