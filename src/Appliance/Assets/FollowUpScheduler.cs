using Outpost.Appliance.Hosting;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.Planning;
using Outpost.Appliance.Scheduling;
using Outpost.Probe.Targets;
using Outpost.Store.Model;
using Outpost.Store.Records.Inventory;

namespace Outpost.Appliance.Assets;

/// <summary>
/// Follow-up jobs (docs/assets-page.md, "Follow-up jobs"): once a scan is in the inventory, what it found is handed to
/// the next capability of the chain. Open ports a port scan found get a <c>fingerprint</c> scan; web services (HTTP,
/// HTTPS) a fingerprint found get the web capabilities (<see cref="AssetScanActions.WebFollowUps"/>). Each follow-up
/// is a scan of its own, named by its capability on the Jobs page, planned like any scan (<see cref="ScanPlanner"/>:
/// subnet and port-list rates) on the scanners of the scan it follows.
///
/// What is followed up: from a scan of an Assets page action, or a follow-up of one, everything it found (a
/// Comprehensive Scan is the whole chain); from any other scan, what is new since the previous run over the same
/// targets (and, for web services, what changed). Follow-ups of automated scans are automated, so scan windows and
/// the pause hold them; those of an admin's manual action run now, as the action did.
///
/// Idempotent: the inventory calls a listener at least once per processed scan, so a follow-up is created only when
/// no scan already follows up the same scan with the same capability (the follow-up scan is its own marker). Calls
/// are serialized, so that check and the creation are one step on this node (processing runs on the leader alone).
/// </summary>
public sealed partial class FollowUpScheduler(StoreLifetime storeLifetime, TimeProvider clock, ILogger<FollowUpScheduler> logger) : IScanProcessedListener, IDisposable
{
    private const string Fingerprint = "fingerprint";
    private const string Vulnscan = "vulnscan";

    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    private static readonly HashSet<string> WebServices = new(StringComparer.OrdinalIgnoreCase) { "http", "https" };

    public async Task OnScanProcessedAsync(ScanProcessed processed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(processed);
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            await FollowUpAsync(processed, cancellationToken);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public void Dispose() => _oneAtATime.Dispose();

    private async Task FollowUpAsync(ScanProcessed processed, CancellationToken cancellationToken)
    {
        var store = storeLifetime.Store;
        // Only a scan that ran to its end fans out: one an admin stopped, or whose jobs failed or were interrupted, is
        // re-run rather than followed up half-seen.
        if (store.GetScan(processed.ScanId) is not { Status: ScanStatus.Completed } scan)
        {
            return;
        }

        var spec = scan.Spec;
        var inChain = spec.Action is not null || spec.FollowUpOf is not null;
        switch (spec.Capability)
        {
            case ScanSpec.DefaultCapability:
                var open = inChain ? await OpenPortsAsync(scan.Id, cancellationToken) : processed.ChangeSummary.NewServices;
                await FollowUpAsync(scan, Fingerprint, open, cancellationToken);
                break;
            case Fingerprint:
                var found = inChain
                    ? await ServicesSeenAsync(scan, cancellationToken)
                    : [.. processed.ChangeSummary.NewServices, .. processed.ChangeSummary.ChangedServices.Select(c => c.Service)];
                var web = found.Where(s => s.Service is { } name && WebServices.Contains(name)).ToList();
                foreach (var capability in AssetScanActions.WebFollowUps(spec.Action))
                {
                    await FollowUpAsync(scan, capability, web, cancellationToken);
                }

                // Every identified service gets the check catalogue (docs/vulnscan.md), web or not.
                if (AssetScanActions.ChecksVulnerabilities(spec.Action))
                {
                    await FollowUpAsync(scan, Vulnscan, found.Where(s => s.Service is not null).ToList(), cancellationToken);
                }

                break;
        }
    }

    private async Task FollowUpAsync(Scan of, string capability, IReadOnlyList<ServiceSnapshot> services, CancellationToken ct)
    {
        var store = storeLifetime.Store;
        if (services.Count == 0 || store.ListScans().Any(s => s.Spec.FollowUpOf == of.Id && s.Spec.Capability == capability))
        {
            return;
        }

        // One scan over the addresses and the union of their ports: a port another address of the scan had is one
        // refused connection more, and the planner's rates and job sizes stay the one definition.
        var targets = services.Select(s => s.Ip).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (!PortList.TryParse(string.Join(',', services.Select(s => s.Port).Distinct()), out var ports, out _))
        {
            return;
        }

        // The same scanners and pools as the scan it follows.
        var scanners = of.Spec.ScannerIds.Select(store.GetScanner).OfType<Store.Model.Scanner>().ToList();
        var pools = ScannerPools.Existing(store, of.Spec.Pools);
        if (scanners.Count == 0 && pools.Count == 0)
        {
            return;
        }

        var spec = new ScanSpec
        {
            Name = $"{capability} after scan {of.Id}",
            Capability = capability,
            Targets = targets,
            Ports = ports!.ToString(),
            ScannerIds = scanners.ConvertAll(s => s.Id),
            Pools = pools.ConvertAll(p => p.Name),
            MaxProbesPerSecond = of.Spec.MaxProbesPerSecond,
            Automated = of.Spec.Automated,
            Action = of.Spec.Action,
            FollowUpOf = of.Id,
        };
        var jobs = ScanPlanner.Split(spec, Documents.ReadScanSettings(store), scanners, pools);
        var created = await store.CreateScanAsync(spec, ScanStatus.Running, jobs, clock.GetUtcNow(), ct);
        LogFollowUp(logger, created.Id, capability, of.Id, targets.Count);
    }

    /// <summary>The open ports a port scan found, all of them (a chain follows up everything).</summary>
    private async Task<IReadOnlyList<ServiceSnapshot>> OpenPortsAsync(long scanId, CancellationToken ct)
    {
        var open = new List<ServiceSnapshot>();
        await foreach (var (state, service) in new InventoryQueries(storeLifetime.Records).ExportScanAsync(scanId, ct))
        {
            if (state == "open")
            {
                open.Add(service);
            }
        }

        return open;
    }

    /// <summary>The services whose latest facts came from <paramref name="scan"/>, over its targets (a follow-up's few addresses).</summary>
    private async Task<IReadOnlyList<ServiceSnapshot>> ServicesSeenAsync(Scan scan, CancellationToken ct)
    {
        var inventory = new InventoryQueries(storeLifetime.Records);
        var seen = new List<ServiceSnapshot>();
        foreach (var target in scan.Spec.Targets)
        {
            if (await inventory.GetAssetAsync(target, ct) is { } asset)
            {
                seen.AddRange(asset.Services.Where(s => s.LastScanId == scan.Id).Select(s => s.Facts));
            }
        }

        return seen;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "follow-up scan {ScanId}: {Capability} of {Addresses} addresses after scan {Of}")]
    private static partial void LogFollowUp(ILogger logger, long scanId, string capability, long of, int addresses);
}
