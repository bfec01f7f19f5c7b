using Outpost.Probe.Engine;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;

namespace Outpost.Probe.Capabilities;

/// <summary>
/// One kind of job a scanner can run (docs/capabilities.md): <c>portscan</c>, <c>fingerprint</c>, <c>screenshot</c>,
/// <c>crawler</c>. Like a zmap probe module, a capability is one folder under <c>Capabilities/</c> and one line in
/// <see cref="CapabilityRegistry"/>; the job runner, the heartbeat and the appliance learn about it from there.
/// A capability only does the work: the runner around it starts the job, uploads what it reports in batches,
/// reports progress, passes on stops and completes the job.
/// </summary>
public interface ICapability
{
    /// <summary>The job name it runs (lower case, as jobs and heartbeats spell it).</summary>
    string Name { get; }

    /// <summary>Its version, advertised next to the name.</summary>
    string Version { get; }

    /// <summary>Null when it can run on this machine; otherwise why not (a scanner advertises only what it can run).</summary>
    string? Unavailable { get; }

    /// <summary>
    /// Runs <paramref name="job"/> to its end, or until <paramref name="stopping"/> (an admin's stop, shutdown), reporting
    /// findings and progress to <paramref name="report"/>. Returns how it ended; failures an operator can act on come
    /// back as <see cref="CapabilityOutcome.Failure"/>, not as exceptions.
    /// </summary>
    Task<CapabilityOutcome> RunAsync(JobAssignment job, IJobReport report, CancellationToken stopping);
}

/// <summary>How a capability's run ended.</summary>
/// <param name="Finished">Every target was visited (false when stopped early or failed).</param>
/// <param name="Failure">Why the job failed, in words an operator can act on; null when it did not.</param>
/// <param name="Total">The job's size in progress units (addresses for a port scan, endpoints for the others).</param>
public readonly record struct CapabilityOutcome(bool Finished, string? Failure, long Total)
{
    public static CapabilityOutcome Failed(string failure) => new(false, failure, 0);
}

/// <summary>
/// Where a running capability puts what it finds. Calls return at once (they only queue) and are safe from any
/// thread, including the probe engine's receive thread.
/// </summary>
public interface IJobReport
{
    /// <summary>An open port (the port scan's finding).</summary>
    void OpenPort(in ScanResult result);

    /// <summary>A typed finding: a service, a crawled page or a screenshot.</summary>
    void Add(CapabilityResult result);

    /// <summary>Progress so far, in the capability's units (absolute, never going down).</summary>
    void Progress(long done);

    /// <summary>
    /// The permutation index below which every probe was sent (absolute, never going down): what a later holder of the
    /// job resumes from. Only the port scan reports one.
    /// </summary>
    void Cursor(long sentBelow);

    /// <summary>Something an operator should see in the log that does not fail the job.</summary>
    void Warning(string message);
}
