namespace Outpost.Store.Model;

/// <summary>A scanner node (remote, or the appliance's built-in one). The API key is held only as its SHA-256 hash.</summary>
public sealed record Scanner
{
    public required long Id { get; init; }
    public required string Name { get; init; }
    public required byte[] ApiKeyHash { get; init; }
    /// <summary>Addresses the scanner may fetch jobs from; empty means anywhere.</summary>
    public required IReadOnlyList<string> AllowedCidrs { get; init; }
    public int? MaxProbesPerSecond { get; init; }
    public required bool Enabled { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastHeartbeatAt { get; init; }
    public string? SourceIp { get; init; }
    public string? Version { get; init; }
    /// <summary>
    /// What the scanner said in its last heartbeat it can run (docs/capabilities.md); null until it has said: such a
    /// scanner (one that predates capabilities) is handed port scans only.
    /// </summary>
    public IReadOnlyList<ScannerCapability>? Capabilities { get; init; }
    /// <summary>
    /// The pool (a site, "dc-frankfurt") the scanner belongs to, or null: any online member of a pool claims the
    /// pool's jobs, and a job lost with one member goes to the others (docs/lifecycle.md).
    /// </summary>
    public string? Pool { get; init; }
}

/// <summary>One capability a scanner advertises: the job name it runs and its version.</summary>
public sealed record ScannerCapability(string Name, string Version);

/// <summary>Fields an admin may change on a scanner; null leaves a field as it is.</summary>
public sealed record ScannerPatch(string? Name = null, bool? Enabled = null, IReadOnlyList<string>? AllowedCidrs = null,
    int? MaxProbesPerSecond = null, bool ClearMaxProbesPerSecond = false, string? Pool = null, bool ClearPool = false);
