using System.Text.Json;
using System.Text.Json.Serialization;
using Outpost.Appliance.Alarms;
using Outpost.Store.Model;

namespace Outpost.Appliance.Contracts;

// The admin API's wire shapes (docs/admin-api.md), in one place: the web UI and automation are written against these names.
// Lists are wrapped in an object ({"scanners":[…]}) so a field can be added later without breaking a client.

public sealed record CreateScannerRequest
{
    public required string Name { get; init; }
    public IReadOnlyList<string>? AllowedCidrs { get; init; }
    public int? MaxProbesPerSecond { get; init; }
    /// <summary>The pool (a site name such as "dc-frankfurt") the scanner joins; none when absent.</summary>
    public string? Pool { get; init; }
}

/// <summary>
/// PATCH body. <see cref="MaxProbesPerSecond"/> and <see cref="Pool"/> stay raw elements so that an absent field
/// (leave as is) and an explicit <c>null</c> (remove the limit, leave the pool) can be told apart.
/// </summary>
public sealed record PatchScannerRequest
{
    public string? Name { get; init; }
    public bool? Enabled { get; init; }
    public IReadOnlyList<string>? AllowedCidrs { get; init; }
    public JsonElement MaxProbesPerSecond { get; init; }
    public JsonElement Pool { get; init; }
}

public sealed record ScannerResponse(long Id, string Name, bool Enabled, IReadOnlyList<string> AllowedCidrs, int? MaxProbesPerSecond,
    bool Online, DateTimeOffset? LastHeartbeatAt, string? SourceIp, string? Version, DateTimeOffset CreatedAt)
{
    /// <summary>The plain API key: present only in the replies to create and rotate-key, the one time it is shown.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ApiKey { get; init; }

    /// <summary>
    /// What the scanner said in its last heartbeat it can run, with versions (docs/capabilities.md); a scanner that
    /// never said is listed with <c>portscan</c> alone and <see cref="CapabilitiesReported"/> false.
    /// </summary>
    public IReadOnlyList<CapabilityResponse> Capabilities { get; init; } = [];

    public bool CapabilitiesReported { get; init; }

    /// <summary>The scanner's pool, or null.</summary>
    public string? Pool { get; init; }
}

/// <summary>One capability of a scanner: the job name it runs and its version ("" when not reported).</summary>
public sealed record CapabilityResponse(string Name, string Version);

public sealed record ScannerListResponse(IReadOnlyList<ScannerResponse> Scanners);

/// <summary>A pool: its members and how many of them are online (enabled and heartbeating) now.</summary>
public sealed record PoolResponse(string Name, IReadOnlyList<PoolMemberResponse> Members, int Online);

public sealed record PoolMemberResponse(long Id, string Name, bool Enabled, bool Online);

public sealed record PoolListResponse(IReadOnlyList<PoolResponse> Pools);

/// <summary>
/// A scan action on assets (docs/assets-page.md): <c>comprehensive</c>, <c>portscan</c>, <c>webscan</c> or <c>webcrawl</c>
/// over the addresses; ports default by action, scanners to the built-in one.
/// </summary>
public sealed record AssetScanRequest
{
    public IReadOnlyList<string>? Ips { get; init; }
    public string? Action { get; init; }
    /// <summary>Ports and ranges ("22,80,1000-2000"), or the name of a port list from the scan settings.</summary>
    public string? Ports { get; init; }
    public IReadOnlyList<long>? ScannerIds { get; init; }
}

public sealed record CreateScanRequest
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Targets { get; init; }
    /// <summary>Ports and ranges ("22,80,1000-2000"), or the name of a port list from the scan settings.</summary>
    public required string Ports { get; init; }
    /// <summary>Scanners the scan's jobs are assigned to; with <see cref="Pools"/>, at least one of the two names something.</summary>
    public IReadOnlyList<long>? ScannerIds { get; init; }
    /// <summary>Pools whose online members claim the scan's jobs (docs/admin-api.md, "Pools").</summary>
    public IReadOnlyList<string>? Pools { get; init; }
    public int? MaxProbesPerSecond { get; init; }
    public ScheduleRequest? Schedule { get; init; }
    /// <summary>
    /// The capability (job name) the scan runs: <c>portscan</c> (default), <c>fingerprint</c>, <c>screenshot</c>,
    /// <c>crawler</c> or <c>vulnscan</c> (docs/capabilities.md). The others visit each address of the targets on each of the ports.
    /// </summary>
    public string? Capability { get; init; }
}

/// <summary>
/// When a scan runs: once at <see cref="At"/>, or on every match of <see cref="Cron"/> (five fields "minute hour day month
/// weekday", or Quartz's six or seven starting with seconds) in <see cref="TimeZone"/> (IANA id; default: the scan
/// settings' time zone). Neither: now.
/// </summary>
public sealed record ScheduleRequest
{
    public DateTimeOffset? At { get; init; }
    public string? Cron { get; init; }
    public string? TimeZone { get; init; }
}

public sealed record JobCountsResponse(long Queued, long Claimed, long Running, long Completed, long Failed, long Cancelled);

/// <summary>
/// A scan. A recurring scan is listed as a scan in status <c>scheduled</c> with <see cref="Recurring"/> set (its
/// <see cref="ScheduledAt"/> is the next run); each run is a scan of its own whose <see cref="ScheduleId"/> names it.
/// </summary>
public sealed record ScanResponse(long Id, string Name, string Status, IReadOnlyList<string> Targets, string Ports,
    IReadOnlyList<long> ScannerIds, int? MaxProbesPerSecond, DateTimeOffset? ScheduledAt, bool Automated,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, JobCountsResponse JobCounts,
    long ProgressCount, long ResultCount, ulong AddressCount, long? ScheduleId, RecurrenceResponse? Recurring)
{
    /// <summary>The capability (job name) the scan's jobs run.</summary>
    public string Capability { get; init; } = Store.Model.ScanSpec.DefaultCapability;
    /// <summary>The Assets page action that started the scan or its chain (docs/assets-page.md); null for other scans.</summary>
    public string? Action { get; init; }
    /// <summary>The scan whose processed results this automated follow-up acts on; null for other scans.</summary>
    public long? FollowUpOf { get; init; }

    /// <summary>The pools the scan targets next to <see cref="ScannerIds"/>.</summary>
    public IReadOnlyList<string> Pools { get; init; } = [];
    /// <summary>Once probing has ended: how many of the scan's results are folded into the inventory (docs/inventory.md); null before.</summary>
    public ProcessingResponse? Processing { get; init; }
}

/// <summary>A scan's processing: <c>processed</c> of <c>total</c> results (open ports and identified services) folded into the inventory.</summary>
public sealed record ProcessingResponse(long Processed, long Total);

/// <summary>How a recurring scan repeats.</summary>
public sealed record RecurrenceResponse(string Cron, string TimeZone, DateTimeOffset? NextRunAt);

/// <summary>A recurring scan with the history of its runs, newest first (GET /api/schedules).</summary>
public sealed record ScheduleResponse(long Id, string Name, string Cron, string TimeZone, DateTimeOffset? NextRunAt,
    DateTimeOffset CreatedAt, IReadOnlyList<ScheduleRunResponse> Runs);

/// <summary>One due time of a schedule: the scan it started, or why it was skipped.</summary>
public sealed record ScheduleRunResponse(DateTimeOffset At, string Outcome, long? ScanId, string? ScanStatus, string? Reason)
{
    /// <summary>A processed run's change summary in counts (docs/inventory.md); null before it is processed.</summary>
    public ChangeCountsResponse? Changes { get; init; }
}

/// <summary>How many assets and services a run's change summary lists.</summary>
public sealed record ChangeCountsResponse(int NewAssets, int GoneAssets, int NewServices, int GoneServices, int ChangedServices);

public sealed record ScheduleListResponse(IReadOnlyList<ScheduleResponse> Schedules);

public sealed record ScanListResponse(IReadOnlyList<ScanResponse> Scans);

public sealed record FindingResponse(string Ip, int Port, string Proto, string State, int? Ttl, long JobId, DateTimeOffset SeenAt);

/// <summary>One page of a scan's findings in (ip, port, proto) order; <c>NextCursor</c> fetches the next page, null after the last.</summary>
public sealed record ScanResultsResponse(long ScanId, IReadOnlyList<FindingResponse> Results, string? NextCursor);

/// <summary>A scan's identified services and screenshots (docs/capabilities.md).</summary>
public sealed record ScanServicesResponse(long ScanId, IReadOnlyList<ServiceResponse> Services, IReadOnlyList<ScreenshotResponse> Screenshots);

/// <summary>One service: what <c>outpost-probe fingerprint --json</c> prints for it, the job that found it and when.</summary>
public sealed record ServiceResponse(Outpost.Probe.Capabilities.Fingerprint.ServiceFingerprint Service, long JobId, DateTimeOffset SeenAt);

/// <summary>One screenshot's metadata; <see cref="Href"/> serves the PNG.</summary>
public sealed record ScreenshotResponse(string Ip, int Port, string Url, int Bytes, long JobId, DateTimeOffset SeenAt, string Href);

/// <summary>A scan's crawled pages.</summary>
public sealed record ScanPagesResponse(long ScanId, IReadOnlyList<PageResponse> Pages);

public sealed record PageResponse(string Url, string Ip, int Port, int Depth, int Status, string? Title, string? ContentType,
    IReadOnlyList<Outpost.Probe.Capabilities.PageForm> Forms, string? Error, long JobId, DateTimeOffset SeenAt);

public sealed record JobResponse(long JobId, long ScanId, long ScannerId, string? ScannerName, string Name,
    IReadOnlyList<JobTarget> Targets, string Status, int Attempts, long ProgressCount, long ResultCount, string? SourceIp,
    string? ErrorMessage, long? RerunOf, bool Automated, bool StopRequested, DateTimeOffset CreatedAt,
    DateTimeOffset? ClaimedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, int MaxProbesPerSecond)
{
    /// <summary>The pool whose members may claim the job, or null; <see cref="ScannerId"/> is 0 until a member claims it.</summary>
    public string? Pool { get; init; }
}

public sealed record JobListResponse(IReadOnlyList<JobResponse> Jobs, StatusCounts Counts, IReadOnlyList<FailedReason> FailedReasons,
    string? NextCursor);

/// <summary>Facts about the appliance for the Settings page.</summary>
public sealed record ApplianceResponse(string Version, string? TlsFingerprint);

public sealed record SchedulerResponse(bool Paused, DateTimeOffset? NextCycleAt);

public sealed record AlarmListResponse(IReadOnlyList<Alarm> Alarms);

/// <summary>Every alarm kind the appliance can raise, with its label (GET /api/alarms/kinds).</summary>
public sealed record AlarmKindListResponse(IReadOnlyList<AlarmKind> Kinds);



public sealed record StatusResponse(string Status);
