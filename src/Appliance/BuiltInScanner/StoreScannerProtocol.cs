using Outpost.Appliance.Admin;
using Outpost.Appliance.Capabilities;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Planning;
using Outpost.Appliance.ScannerProtocol;
using Outpost.Appliance.Scheduling;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Capabilities.Vulnscan;
using Outpost.Probe.Engine;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;
using Outpost.Probe.Targets;
using Outpost.Store;
using Outpost.Store.Model;

namespace Outpost.Appliance.BuiltInScanner;

/// <summary>
/// The scanner job protocol for the built-in scanner: the same calls a remote node makes over HTTP, made on the store
/// directly. Claims obey the same dispatch rule as <c>GET /scanner/jobs</c> (<see cref="DispatchGate"/>), and like the
/// HTTP handlers, a store change once begun is not cancelled, so no call leaves an ambiguous half-state.
/// </summary>
public sealed class StoreScannerProtocol(StoreLifetime storeLifetime, DispatchGate gate, FindingsIntake intake, LeaseReconciler leases, TimeProvider clock,
    long scannerId, string version, CapabilityUploads uploads)
    : IScannerProtocol
{
    // What the last heartbeat advertised; claims hand out only those (nothing before the first heartbeat).
    private IReadOnlyList<string> _capabilities = [];

    private IOutpostStore Store => storeLifetime.Store;

    public async ValueTask<IReadOnlyList<JobAssignment>> ClaimAsync(int limit, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // No source IP: the probes leave by whichever interface routes to the targets, not by one address.
        // The built-in scanner may be put in a pool like any other (its record is read for that, off the hot path).
        var jobs = await Store.ClaimAsync(scannerId, limit, null, now, gate.AutomatedAllowed(now), _capabilities, Store.GetScanner(scannerId)?.Pool,
            CancellationToken.None);
        var settings = Documents.ReadScanSettings(Store);
        var exclude = jobs.Count > 0 && Store.GetScanner(scannerId) is { } self ? DoNotScan.EntriesFor(settings, self) : [];
        var assignments = new JobAssignment[jobs.Count];
        for (var i = 0; i < assignments.Length; i++)
        {
            var job = jobs[i];
            var targets = new JobTargetSpec[job.Targets.Count];
            for (var t = 0; t < targets.Length; t++)
            {
                targets[t] = new JobTargetSpec(job.Targets[t].Cidr, job.Targets[t].Ports);
            }

            assignments[i] = new JobAssignment(job.JobId, job.ScanId, job.Name, targets, job.MaxProbesPerSecond)
            {
                Attribution = settings.AttributionHeader,
                MaxConnectionsPerHost = settings.MaxConnectionsPerHost,
                Seed = job.Seed,
                ResumeFrom = job.Cursor,
                Exclude = exclude,
            };
        }

        return assignments;
    }

    /// <summary>Records the heartbeat and reconciles it as the HTTP heartbeat does; returns the jobs to stop.</summary>
    public async ValueTask<IReadOnlyList<long>> HeartbeatAsync(IReadOnlyList<long> runningJobs, IReadOnlyList<ICapability> capabilities, CancellationToken ct)
    {
        var advertised = new ScannerCapability[capabilities.Count];
        var names = new string[capabilities.Count];
        for (var i = 0; i < advertised.Length; i++)
        {
            advertised[i] = new ScannerCapability(capabilities[i].Name, capabilities[i].Version);
            names[i] = capabilities[i].Name;
        }

        _capabilities = names;
        await Store.RecordHeartbeatAsync(scannerId, clock.GetUtcNow(), null, version, advertised, CancellationToken.None);
        return Store.GetScanner(scannerId) is { } scanner ? await leases.ReconcileAsync(Store, scanner, runningJobs) : [];
    }

    public async ValueTask<JobReply> StartAsync(long jobId, CancellationToken ct) =>
        Reply(await Store.StartAsync(scannerId, jobId, clock.GetUtcNow(), CancellationToken.None));

    public async ValueTask<ProgressReply> ProgressAsync(long jobId, long progressCount, long resultCount, long cursor, CancellationToken ct)
    {
        var reply = Reply(await Store.ProgressAsync(scannerId, jobId, progressCount, resultCount, cursor, clock.GetUtcNow(), CancellationToken.None));
        // The do-not-scan list as it stands, as a remote node gets it in its progress reply.
        return new ProgressReply(reply, Store.GetScanner(scannerId) is { } self ? DoNotScan.EntriesFor(gate.Settings, self) : null);
    }

    public async ValueTask<JobReply> UploadAsync(long jobId, IReadOnlyList<ScanResult> results, CancellationToken ct)
    {
        var findings = new Finding[results.Count];
        for (var i = 0; i < findings.Length; i++)
        {
            var r = results[i];
            findings[i] = new Finding(Ipv4Range.FormatAddress(r.Address.Value), r.Port.Value, "tcp", r.StateText, r.Ttl);
        }

        var result = await intake.AppendAsync(scannerId, jobId, findings, clock.GetUtcNow(), CancellationToken.None);
        return result.Outcome switch
        {
            FindingsOutcome.Accepted => JobReply.Ok,
            // Too many results for one job: it stops, as a remote node does on 409.
            FindingsOutcome.CapReached => JobReply.Stop,
            _ => JobReply.Gone,
        };
    }

    /// <summary>Typed results go where the HTTP protocol's go (<see cref="CapabilityUploads"/>), under the same rules.</summary>
    public async ValueTask<JobReply> UploadAsync(long jobId, IReadOnlyList<CapabilityResult> results, CancellationToken ct)
    {
        if (results.Count == 0)
        {
            return JobReply.Ok;
        }

        var (status, error) = results[0] switch
        {
            ServiceFound => await uploads.PutServicesAsync(scannerId, jobId, [.. results.Select(r => ((ServiceFound)r).Fingerprint)], CancellationToken.None),
            CrawledPage => await uploads.PutPagesAsync(scannerId, jobId, [.. results.Cast<CrawledPage>()], CancellationToken.None),
            ServiceVulnerabilities => await uploads.PutVulnerabilitiesAsync(scannerId, jobId, [.. results.Cast<ServiceVulnerabilities>()], CancellationToken.None),
            _ => await PutScreenshotsAsync(jobId, results),
        };
        return error is not null ? throw new ScannerProtocolException("the appliance refused the results: " + error, transient: false) : Reply(new JobUpdate(status));
    }

    private async Task<(StoreStatus, string?)> PutScreenshotsAsync(long jobId, IReadOnlyList<CapabilityResult> results)
    {
        foreach (var shot in results.Cast<ServiceScreenshot>())
        {
            var outcome = await uploads.PutScreenshotAsync(scannerId, jobId, shot.Ip, shot.Port, shot.Url, shot.Png, CancellationToken.None);
            if (outcome.Status != StoreStatus.Ok || outcome.Error is not null)
            {
                return outcome;
            }
        }

        return (StoreStatus.Ok, null);
    }

    public async ValueTask<JobReply> CompleteAsync(long jobId, bool failed, long resultCount, string? errorMessage, CancellationToken ct) =>
        Reply(await Store.CompleteAsync(scannerId, jobId, failed, resultCount, errorMessage, clock.GetUtcNow(), CancellationToken.None));

    // The statuses the HTTP surface turns into 404, 403 JOB_NOT_OWNED and 409: the job is no longer ours to run.
    private static JobReply Reply(JobUpdate update) => update.Status switch
    {
        StoreStatus.Ok => update.StopRequested ? JobReply.Stop : JobReply.Ok,
        _ => JobReply.Gone,
    };
}
