using Outpost.Probe.Capabilities;

namespace Outpost.Appliance.Planning;

/// <summary>
/// The scan settings document: the inputs of planning (rates, port lists, the do-not-scan list) and of scheduling (windows, time zone). The
/// admin API serves and accepts it as is (GET/PUT /api/settings/scan), and it is stored as is once validated. Every list is present
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
    /// <summary>
    /// Connections a connection-based capability (fingerprint, crawler, screenshot) keeps open to one address at once.
    /// Jobs carry the value in force when they are claimed.
    /// </summary>
    public int MaxConnectionsPerHost { get; set; } = ConnectionPacer.DefaultConnectionsPerHost;
    /// <summary>The appliance's time zone (IANA id): scan windows are wall-clock times in it, and recurring scans default to it.</summary>
    public string TimeZone { get; set; } = "UTC";
    /// <summary>The do-not-scan list (docs/admin-api.md, "Do-not-scan list"): global entries and entries of one pool.</summary>
    public IReadOnlyList<Exclusion> Exclusions { get; set; } = [];
}

/// <summary>
/// One do-not-scan entry: <see cref="Target"/> is an address, CIDR block or range (every port) or an address with a
/// port (<c>10.0.0.5:22</c>); <see cref="Pool"/> null for every scanner, else only for the scanners of that pool
/// (see <see cref="DoNotScan.AppliesTo(Exclusion, string?, string?)"/>).
/// </summary>
public sealed record Exclusion(string Target, string? Pool);

/// <summary>A weekly window: <see cref="Days"/> ("mon" … "sun", empty for every day), from Start to End ("HH:mm"; End before Start spans midnight).</summary>
public sealed record ScanWindow(IReadOnlyList<string>? Days, string Start, string End);

/// <summary>A rate limit for every job whose targets overlap <see cref="Cidr"/> (a CIDR, address or range).</summary>
public sealed record SubnetLimit(string Cidr, int MaxProbesPerSecond);

/// <summary>A named port list; a scan naming it (or listing exactly its ports) gets its rate limit.</summary>
public sealed record PortListSetting(string Name, string Ports, int? MaxProbesPerSecond);
