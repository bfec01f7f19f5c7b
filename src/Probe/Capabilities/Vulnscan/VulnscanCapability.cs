using System.Net;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Capabilities.Vulnscan.Catalogue;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;

namespace Outpost.Probe.Capabilities.Vulnscan;

/// <summary>
/// <c>vulnscan</c> as a job (docs/capabilities.md, docs/vulnscan.md): fingerprints the job's (address, port) pairs to
/// learn what runs there, then runs every catalogue check that concerns each open service. Two phases, one after the
/// other, each through a gate of the job's rate and per-host connection limit, so the job's limits hold throughout.
/// Each open service is one result: the checks that reached a verdict there and the ones that fired.
/// </summary>
public sealed class VulnscanCapability(string? attribution, TimeProvider time, CheckCatalogue? catalogue = null, FingerprintOptions? options = null) : ICapability
{
    public const string JobName = "vulnscan";

    /// <summary>Services checked at once over the whole job (each runs its checks one after another).</summary>
    public const int MaxConcurrentServices = 32;

    private readonly CheckCatalogue _catalogue = catalogue ?? CheckCatalogue.BuiltIn;
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

        var run = FingerprintCapability.JobOptions(_options, job, attribution, time);
        try
        {
            await foreach (var result in CheckAsync([.. endpoints.Select(e => (e.Address, e.Port))], run, _catalogue, report.Progress, stopping).ConfigureAwait(false))
            {
                report.Add(result);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return new CapabilityOutcome(false, null, endpoints.Count);
        }

        return new CapabilityOutcome(true, null, endpoints.Count);
    }

    /// <summary>
    /// Fingerprints <paramref name="endpoints"/> and runs the catalogue against each open service (the job and
    /// <c>outpost-probe vulnscan</c> alike). <paramref name="progress"/> hears the number of endpoints done.
    /// </summary>
    public static async IAsyncEnumerable<ServiceVulnerabilities> CheckAsync(IReadOnlyList<(IPAddress Address, int Port)> endpoints, FingerprintOptions options,
        CheckCatalogue catalogue, Action<long> progress, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(progress);
        var open = new List<ServiceFingerprint>();
        var done = 0L;
        await foreach (var fingerprint in ServiceFingerprinter.FingerprintAsync(endpoints, options, ct).ConfigureAwait(false))
        {
            if (fingerprint.IsOpen)
            {
                open.Add(fingerprint);
            }
            else
            {
                progress(++done);
            }
        }

        var gate = new ConnectionGate(options);
        var results = System.Threading.Channels.Channel.CreateUnbounded<ServiceVulnerabilities>(new() { SingleReader = true });
        var work = Parallel.ForEachAsync(open, new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentServices, CancellationToken = ct },
            async (service, token) => results.Writer.TryWrite(await ServiceChecker.CheckAsync(service, catalogue, gate, options, token).ConfigureAwait(false)));
        _ = work.ContinueWith(t => results.Writer.TryComplete(t.Exception?.GetBaseException()), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await foreach (var result in results.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            progress(++done);
            yield return result;
        }

        await work.ConfigureAwait(false);
    }
}
