using System.Net;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;

namespace Outpost.Probe.Capabilities.Fingerprint;

/// <summary>
/// <c>fingerprint</c> as a job (docs/capabilities.md): the <see cref="ServiceFingerprinter"/> over the job's
/// (address, port) pairs at the job's rate and per-host connection limit, with the attribution in its user agent.
/// Every port that answered is a finding (<see cref="ServiceFound"/>); closed and filtered ones only count as progress.
/// </summary>
public sealed class FingerprintCapability(string? attribution, TimeProvider time, FingerprintOptions? options = null) : ICapability
{
    public const string JobName = "fingerprint";

    private readonly FingerprintOptions _options = options ?? new FingerprintOptions();

    public string Name => JobName;

    public string Version => ScanAttribution.ProbeVersion;

    public string? Unavailable => null;

    public async Task<CapabilityOutcome> RunAsync(JobAssignment job, IJobReport report, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(report);
        if (JobEndpoints.Expand(job, out var failure) is not { } endpoints)
        {
            return CapabilityOutcome.Failed(failure!);
        }

        var pairs = new (IPAddress Address, int Port)[endpoints.Count];
        for (var i = 0; i < pairs.Length; i++)
        {
            pairs[i] = (endpoints[i].Address, endpoints[i].Port);
        }

        var run = JobOptions(_options, job, attribution, time);
        var done = 0L;
        try
        {
            await foreach (var fingerprint in ServiceFingerprinter.FingerprintAsync(pairs, run, stopping).ConfigureAwait(false))
            {
                if (fingerprint.IsOpen)
                {
                    report.Add(new ServiceFound { Ip = fingerprint.Ip, Port = fingerprint.Port, Fingerprint = fingerprint });
                }

                report.Progress(++done);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return new CapabilityOutcome(false, null, pairs.Length);
        }

        return new CapabilityOutcome(true, null, pairs.Length);
    }

    /// <summary>
    /// What the fingerprinter runs with for one job (also vulnscan's, which fingerprints first): the job's rate and
    /// per-host connection limit, and its attribution, else the node's, in the user agent and header.
    /// </summary>
    internal static FingerprintOptions JobOptions(FingerprintOptions options, JobAssignment job, string? attribution, TimeProvider time) => options with
    {
        MaxProbesPerSecond = job.MaxProbesPerSecond,
        MaxConnectionsPerHost = job.MaxConnectionsPerHost,
        UserAgent = ScanAttribution.UserAgent(job.Attribution ?? attribution),
        Attribution = job.Attribution ?? attribution,
        Time = time,
    };
}

/// <summary>A service the fingerprint capability identified on an open port.</summary>
public sealed record ServiceFound : CapabilityResult
{
    public required ServiceFingerprint Fingerprint { get; init; }
}
