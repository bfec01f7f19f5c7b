using System.Text.Json;
using System.Text.Json.Serialization;
using Outpost.Store.Model;

namespace Outpost.Appliance.Contracts;

// The admin API's wire shapes (SPEC §3), in one place: the web UI and automation are written against these names.
// Lists are wrapped in an object ({"scanners":[…]}) so a field can be added later without breaking a client.

public sealed record CreateScannerRequest
{
    public required string Name { get; init; }
    public IReadOnlyList<string>? AllowedCidrs { get; init; }
    public int? MaxProbesPerSecond { get; init; }
}

/// <summary>
/// PATCH body. <see cref="MaxProbesPerSecond"/> stays a raw element so that an absent field (leave as is) and an
/// explicit <c>null</c> (remove the limit) can be told apart.
/// </summary>
public sealed record PatchScannerRequest
{
    public string? Name { get; init; }
    public bool? Enabled { get; init; }
    public IReadOnlyList<string>? AllowedCidrs { get; init; }
    public JsonElement MaxProbesPerSecond { get; init; }
}

public sealed record ScannerResponse(long Id, string Name, bool Enabled, IReadOnlyList<string> AllowedCidrs, int? MaxProbesPerSecond,
    bool Online, DateTimeOffset? LastHeartbeatAt, string? SourceIp, string? Version, DateTimeOffset CreatedAt)
{
    /// <summary>The plain API key: present only in the replies to create and rotate-key, the one time it is shown.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ApiKey { get; init; }
}

public sealed record ScannerListResponse(IReadOnlyList<ScannerResponse> Scanners);

public sealed record CreateScanRequest
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Targets { get; init; }
    /// <summary>Ports and ranges ("22,80,1000-2000"), or the name of a port list from the scan settings.</summary>
    public required string Ports { get; init; }
    public required IReadOnlyList<long> ScannerIds { get; init; }
    public int? MaxProbesPerSecond { get; init; }
    public ScheduleRequest? Schedule { get; init; }
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
    long ProgressCount, long ResultCount, ulong AddressCount, long? ScheduleId, RecurrenceResponse? Recurring);

/// <summary>How a recurring scan repeats.</summary>
public sealed record RecurrenceResponse(string Cron, string TimeZone, DateTimeOffset? NextRunAt);

/// <summary>A recurring scan with the history of its runs, newest first (GET /api/schedules).</summary>
public sealed record ScheduleResponse(long Id, string Name, string Cron, string TimeZone, DateTimeOffset? NextRunAt,
    DateTimeOffset CreatedAt, IReadOnlyList<ScheduleRunResponse> Runs);

/// <summary>One due time of a schedule: the scan it started, or why it was skipped.</summary>
public sealed record ScheduleRunResponse(DateTimeOffset At, string Outcome, long? ScanId, string? ScanStatus, string? Reason);

public sealed record ScheduleListResponse(IReadOnlyList<ScheduleResponse> Schedules);

public sealed record ScanListResponse(IReadOnlyList<ScanResponse> Scans);

public sealed record FindingResponse(string Ip, int Port, string Proto, string State, int? Ttl, long JobId, DateTimeOffset SeenAt);

public sealed record ScanResultsResponse(long ScanId, IReadOnlyList<FindingResponse> Results);

public sealed record JobResponse(long JobId, long ScanId, long ScannerId, string? ScannerName, string Name,
    IReadOnlyList<JobTarget> Targets, string Status, int Attempts, long ProgressCount, long ResultCount, string? SourceIp,
    string? ErrorMessage, long? RerunOf, bool Automated, bool StopRequested, DateTimeOffset CreatedAt,
    DateTimeOffset? ClaimedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, int MaxProbesPerSecond);

public sealed record JobListResponse(IReadOnlyList<JobResponse> Jobs, StatusCounts Counts, IReadOnlyList<FailedReason> FailedReasons,
    string? NextCursor);

/// <summary>Facts about the appliance for the Settings page.</summary>
public sealed record ApplianceResponse(string Version, string? TlsFingerprint);

public sealed record SchedulerResponse(bool Paused, DateTimeOffset? NextCycleAt);

public sealed record AlarmListResponse(IReadOnlyList<Alarm> Alarms);

/// <summary>
/// The scan settings document (GET/PUT /api/settings/scan), stored as is once validated. Every list is present
/// (possibly empty) in replies. Setters rather than init: the JSON source generator passes init-only members like
/// constructor arguments, so a field left out of a PUT would arrive as null or 0 instead of its default.
/// </summary>
public sealed record ScanSettings
{
    /// <summary>When automated scans may run; empty means any time.</summary>
    public IReadOnlyList<ScanWindow> Windows { get; set; } = [];
    public IReadOnlyList<SubnetLimit> SubnetLimits { get; set; } = [];
    public IReadOnlyList<PortListSetting> PortLists { get; set; } = [];
    /// <summary>Text the scanners announce their probes with, so target owners can tell who is scanning.</summary>
    public string? AttributionHeader { get; set; }
    /// <summary>The rate a job gets when neither scanner, subnet, port list nor scan sets one.</summary>
    public int DefaultMaxProbesPerSecond { get; set; } = 10_000;
    /// <summary>The appliance's time zone (IANA id): scan windows are wall-clock times in it, and recurring scans default to it.</summary>
    public string TimeZone { get; set; } = "UTC";
}

/// <summary>A weekly window: <see cref="Days"/> ("mon" … "sun", empty for every day), from Start to End ("HH:mm"; End before Start spans midnight).</summary>
public sealed record ScanWindow(IReadOnlyList<string>? Days, string Start, string End);

/// <summary>A rate limit for every job whose targets overlap <see cref="Cidr"/> (a CIDR, address or range).</summary>
public sealed record SubnetLimit(string Cidr, int MaxProbesPerSecond);

/// <summary>A named port list; a scan naming it (or listing exactly its ports) gets its rate limit.</summary>
public sealed record PortListSetting(string Name, string Ports, int? MaxProbesPerSecond);

/// <summary>The scheduler's state document: survives restarts.</summary>
public sealed record SchedulerState(bool Paused);

/// <summary>
/// The stored side of a recurring scan (collection <c>schedules</c>, keyed by <see cref="Id"/>): the id is that of the
/// scan holding its spec (in status scheduled, never dispatched itself); <see cref="Runs"/> is newest first and bounded.
/// </summary>
public sealed record RecurringSchedule(long Id, string Cron, string TimeZone, DateTimeOffset CreatedAt, DateTimeOffset? NextRunAt,
    IReadOnlyList<ScheduleRun> Runs);

/// <summary>A due time of a schedule: <see cref="ScanId"/> for a run that started, <see cref="Skipped"/> (the reason) otherwise.</summary>
public sealed record ScheduleRun(DateTimeOffset At, long? ScanId, string? Skipped);


public sealed record StatusResponse(string Status);
