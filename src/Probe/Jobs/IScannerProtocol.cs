using Outpost.Probe.Capabilities;
using Outpost.Probe.Engine;

namespace Outpost.Probe.Jobs;

/// <summary>
/// The scanner job protocol (docs/protocol.md) as the scanner side sees it. Two implementations share everything above this
/// seam (<see cref="JobRunner"/>): <see cref="Node.HttpScannerProtocol"/> for a remote node, which talks to the appliance
/// over HTTPS, and the appliance's built-in scanner, which calls its store directly.
/// A call that may succeed if repeated later (appliance down or restarting, key refused) throws
/// <see cref="ScannerProtocolException"/> with <see cref="ScannerProtocolException.Transient"/> set; the caller
/// backs off and repeats it. A job call the appliance refuses for good answers <see cref="JobReply.Gone"/>.
/// </summary>
public interface IScannerProtocol
{
    /// <summary>Claims up to <paramref name="limit"/> queued jobs of this scanner.</summary>
    ValueTask<IReadOnlyList<JobAssignment>> ClaimAsync(int limit, CancellationToken ct);

    /// <summary>
    /// Reports that the scanner is alive, what it runs and which capabilities it can run (the claim then hands it
    /// only jobs of those); returns the jobs it must stop.
    /// </summary>
    ValueTask<IReadOnlyList<long>> HeartbeatAsync(IReadOnlyList<long> runningJobs, IReadOnlyList<ICapability> capabilities, CancellationToken ct);

    ValueTask<JobReply> StartAsync(long jobId, CancellationToken ct);

    /// <summary>
    /// Reports progress; <paramref name="cursor"/> is the permutation index below which every probe was sent. The reply
    /// may carry the job's edited do-not-scan list (docs/protocol.md).
    /// </summary>
    ValueTask<ProgressReply> ProgressAsync(long jobId, long progressCount, long resultCount, long cursor, CancellationToken ct);

    /// <summary>Appends findings; repeating a batch is harmless (the appliance de-duplicates).</summary>
    ValueTask<JobReply> UploadAsync(long jobId, IReadOnlyList<ScanResult> results, CancellationToken ct);

    /// <summary>
    /// Appends typed findings, all of one kind (services, pages or screenshots); repeating a batch is harmless (the
    /// appliance keeps one of each per job, address, port and URL).
    /// </summary>
    ValueTask<JobReply> UploadAsync(long jobId, IReadOnlyList<CapabilityResult> results, CancellationToken ct);

    ValueTask<JobReply> CompleteAsync(long jobId, bool failed, long resultCount, string? errorMessage, CancellationToken ct);
}

/// <summary>What the appliance said to a job call.</summary>
public enum JobReply
{
    /// <summary>Accepted; carry on.</summary>
    Ok,

    /// <summary>Accepted, and the job's scan is being stopped: stop probing and complete the job.</summary>
    Stop,

    /// <summary>The job is no longer this scanner's to run (unknown, re-assigned, finished): drop it without completing.</summary>
    Gone,
}

/// <summary>
/// What the appliance said to a progress report: <see cref="Reply"/>, and the job's do-not-scan list as it stands now
/// (null when the appliance sent none: keep the one in force).
/// </summary>
public readonly record struct ProgressReply(JobReply Reply, IReadOnlyList<string>? Exclude = null);

/// <summary>One claimed job: its immutable spec as the claim returned it.</summary>
public sealed record JobAssignment(long JobId, long ScanId, string Name, IReadOnlyList<JobTargetSpec> Targets, int MaxProbesPerSecond)
{
    /// <summary>The attribution text the capability announces itself with (overrides the scanner's own when set).</summary>
    public string? Attribution { get; init; }

    /// <summary>Connections a connection-based capability keeps open to one address at once.</summary>
    public int MaxConnectionsPerHost { get; init; } = Capabilities.ConnectionPacer.DefaultConnectionsPerHost;

    /// <summary>The seed of the job's probe order, the same for every holder of the job (docs/protocol.md).</summary>
    public long Seed { get; init; }

    /// <summary>The permutation index to start at: what an earlier holder reported as its cursor (0: from the start).</summary>
    public long ResumeFrom { get; init; }

    /// <summary>The do-not-scan entries the claim carried (docs/protocol.md, <c>exclude</c>).</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>
    /// The list in force while the job runs: built by the <see cref="JobRunner"/> from <see cref="Exclude"/> and
    /// replaced when a progress reply carries an edit. Null before the runner starts the job.
    /// </summary>
    public Targets.LiveExclusions? Exclusions { get; init; }
}

/// <summary>One block of a job: addresses (CIDR, single address or range) and the ports to probe on them.</summary>
public sealed record JobTargetSpec(string Cidr, string Ports);

/// <summary>A protocol call failed; <see cref="Transient"/> says whether repeating it later may succeed.</summary>
public sealed class ScannerProtocolException : Exception
{
    public ScannerProtocolException(string message, bool transient, bool credentialsRefused = false, Exception? inner = null)
        : base(message, inner)
    {
        Transient = transient;
        CredentialsRefused = credentialsRefused;
    }

    public ScannerProtocolException()
    {
    }

    public ScannerProtocolException(string message)
        : base(message)
    {
    }

    public ScannerProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The appliance may accept the same call later (it is down, restarting or overloaded).</summary>
    public bool Transient { get; }

    /// <summary>401 or 403 for the scanner itself: the key is wrong, the scanner disabled or the address not allowed.</summary>
    public bool CredentialsRefused { get; }
}
