using System.Text.Json;
using System.Text.Json.Serialization;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Capabilities.Vulnscan;

namespace Outpost.Probe.Node;

// The scanner job protocol's JSON (docs/protocol.md) as a node writes and reads it. The appliance's own records
// (src/Appliance/Contracts/ScannerProtocol.cs) cannot be shared: the appliance references this project, not the
// other way round. These are the client's view only — what a node sends and the fields it reads — so a field the
// appliance adds to a reply is ignored here rather than breaking older nodes.

internal sealed record WireClaimReply(IReadOnlyList<WireJob>? Jobs);

/// <summary>
/// A claimed job. An appliance older than <c>maxConnectionsPerHost</c> leaves it out (the capabilities' default then);
/// one that predates resume sends no <c>seed</c> or <c>resumeFrom</c> (both 0: a fixed order from the start).
/// <c>exclude</c> is the do-not-scan list that binds the scanner.
/// </summary>
internal sealed record WireJob(long JobId, long ScanId, string? Name, IReadOnlyList<WireTarget>? Targets, int MaxProbesPerSecond, int? MaxConnectionsPerHost,
    long Seed, long ResumeFrom, IReadOnlyList<string>? Exclude);

internal sealed record WireTarget(string Cidr, string Ports);

internal sealed record WireOkReply(bool Ok, bool? Stop, IReadOnlyList<string>? Exclude);

internal sealed record WireHeartbeatReply(bool Ok, IReadOnlyList<long>? StopJobs);

internal sealed record WireErrorReply(WireError? Error);

internal sealed record WireError(string? Code, string? Message);

internal sealed record WireProgress(long ProgressCount, long ResultCount, long Cursor);

internal sealed record WireComplete(string Status, long? ResultCount, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ErrorMessage);

internal sealed record WireResults(IReadOnlyList<WireResult> Results);

internal sealed record WireResult(string Ip, int Port, string Proto, string State, int? Ttl);

/// <summary>The heartbeat: <c>capabilities</c> lists the job names the node can run, <c>capabilityVersions</c> their versions.</summary>
internal sealed record WireHeartbeat(string Version, IReadOnlyList<long> RunningJobs, IReadOnlyList<string> Capabilities,
    IReadOnlyDictionary<string, string> CapabilityVersions);

/// <summary>Crawled pages, uploaded to the results endpoint next to the port scan's <c>results</c>.</summary>
internal sealed record WirePages(IReadOnlyList<CrawledPage> Pages);

/// <summary>Identified services (the shape of <c>outpost-probe fingerprint --json</c>), next to the port scan's <c>results</c>.</summary>
internal sealed record WireServices(IReadOnlyList<ServiceFingerprint> Services);

/// <summary>What the vulnscan capability checked on each service and what fired, next to the port scan's <c>results</c>.</summary>
internal sealed record WireVulnerabilities(IReadOnlyList<ServiceVulnerabilities> Vulnerabilities);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(WireClaimReply))]
[JsonSerializable(typeof(WireOkReply))]
[JsonSerializable(typeof(WireHeartbeatReply))]
[JsonSerializable(typeof(WireErrorReply))]
[JsonSerializable(typeof(WireProgress))]
[JsonSerializable(typeof(WireComplete))]
[JsonSerializable(typeof(WireResults))]
[JsonSerializable(typeof(WireHeartbeat))]
[JsonSerializable(typeof(WirePages))]
[JsonSerializable(typeof(WireServices))]
[JsonSerializable(typeof(WireVulnerabilities))]
[JsonSerializable(typeof(NodeConfigFile))]
internal sealed partial class NodeJsonContext : JsonSerializerContext;
