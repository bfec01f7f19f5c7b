using Outpost.Store.Model;

namespace Outpost.Appliance.Contracts;

// The scanner job protocol's wire shapes (docs/protocol.md), in one place. Scanner nodes are written against these names,
// so a rename here is a protocol change. Required members make a missing field a 400 rather than a silent zero.

/// <summary>
/// A job as handed to a scanner by a claim. <c>MaxConnectionsPerHost</c> is the scan settings' value when the job is
/// claimed: how many connections a connection-based capability keeps open to one address at once. <c>seed</c> selects the
/// probe order (the same for every holder of the job); <c>resumeFrom</c> is the permutation index to start at: 0 for a
/// fresh job, the stored cursor for a re-queued one. <c>exclude</c> is the do-not-scan list that binds the scanner.
/// </summary>
public sealed record ScannerJob(long JobId, long ScanId, string Name, IReadOnlyList<JobTarget> Targets, int MaxProbesPerSecond, int MaxConnectionsPerHost,
    long Seed, long ResumeFrom, IReadOnlyList<string> Exclude);

public sealed record ClaimResponse(IReadOnlyList<ScannerJob> Jobs);

public sealed record ProgressRequest
{
    public required long ProgressCount { get; init; }
    public required long ResultCount { get; init; }
    /// <summary>The permutation index below which every probe was sent; absent (older nodes) counts as 0.</summary>
    public long? Cursor { get; init; }
}

public sealed record CompleteRequest
{
    /// <summary>"completed" or "failed".</summary>
    public required string Status { get; init; }
    public long? ResultCount { get; init; }
    public string? ErrorMessage { get; init; }
}

/// <summary>
/// One upload of findings, of exactly one kind (docs/capabilities.md): <c>results</c> (open ports, the port scan's),
/// <c>services</c> (the fingerprint's, in the shape of <c>outpost-probe fingerprint --json</c>) or <c>pages</c> (the
/// crawler's). Screenshots are binary uploads of their own.
/// </summary>
public sealed record ResultsRequest
{
    public IReadOnlyList<ResultItem>? Results { get; init; }
    public IReadOnlyList<Outpost.Probe.Capabilities.Fingerprint.ServiceFingerprint?>? Services { get; init; }
    public IReadOnlyList<Outpost.Probe.Capabilities.CrawledPage?>? Pages { get; init; }

    /// <summary>The vulnscan capability's checks per service: what ran there and what fired (docs/vulnscan.md).</summary>
    public IReadOnlyList<Outpost.Probe.Capabilities.Vulnscan.ServiceVulnerabilities?>? Vulnerabilities { get; init; }
}

public sealed record ResultItem
{
    public required string Ip { get; init; }
    public required int Port { get; init; }
    public required string Proto { get; init; }
    public required string State { get; init; }
    public int? Ttl { get; init; }
}

public sealed record HeartbeatRequest
{
    public string? Version { get; init; }
    public IReadOnlyList<long>? RunningJobs { get; init; }
    /// <summary>The job names the scanner can run (docs/capabilities.md); absent: leave what it said before.</summary>
    public IReadOnlyList<string>? Capabilities { get; init; }
    /// <summary>The version of each capability, by job name.</summary>
    public IReadOnlyDictionary<string, string>? CapabilityVersions { get; init; }
}

/// <summary><c>{"ok":true}</c>, with <c>"stop":true</c> only when the scanner must stop the job.</summary>
public sealed record OkResponse(bool Ok)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public bool? Stop { get; init; }

    /// <summary>Progress replies only: the do-not-scan list that binds the scanner now, to replace the job's.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Exclude { get; init; }

    public static readonly OkResponse Done = new(true);
    public static readonly OkResponse StopJob = new(true) { Stop = true };
}

public sealed record ResultsResponse(bool Ok, int Accepted);

public sealed record HeartbeatResponse(bool Ok, DateTimeOffset ServerTime, IReadOnlyList<long> StopJobs);

/// <summary>Every error reply of every surface: <c>{"error":{"code","message"}}</c>.</summary>
public sealed record ErrorResponse(ErrorBody Error);

public sealed record ErrorBody(string Code, string Message);
