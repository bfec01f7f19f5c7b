using Outpost.Appliance.Capabilities;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Inventory;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Capabilities.Vulnscan;
using Outpost.Probe.Capabilities.Vulnscan.Catalogue;
using Outpost.Store.Records.Capabilities;

namespace Outpost.Appliance.Vulnerabilities;

/// <summary>
/// The catalogue's checks that need no network (docs/vulnscan.md: certificate expiry and self-signature, cleartext
/// services, default pages…), run on the appliance once a scan's results are processed: over every service the scan's
/// fingerprint jobs uploaded, with the same evaluator the scanners use, recorded through the ledger as one run of the
/// scan. Idempotent as the processing requires: the ledger applies a scan's run once.
/// </summary>
public sealed class FingerprintFactChecks(StoreLifetime storeLifetime, IServiceProvider services, TimeProvider clock) : IScanProcessedListener
{
    public async Task OnScanProcessedAsync(ScanProcessed processed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(processed);
        // Resolved per call, not injected: listeners are built with the processing loop, before the records database
        // opens; the ledger is the daemon's one instance (its notifications listen to it).
        var ledger = services.GetRequiredService<VulnerabilityLedger>();
        var fingerprints = await new CapabilityResults(storeLifetime.Records).ListServicesAsync(processed.ScanId, cancellationToken);
        if (fingerprints.Count == 0)
        {
            return;
        }

        var now = clock.GetUtcNow();
        var checkedServices = new List<CheckedService>();
        var found = new List<VulnerabilityObservation>();
        foreach (var stored in fingerprints)
        {
            if (FingerprintJson.Deserialize(stored.Record.Facts) is not { } fingerprint
                || ServiceChecker.CheckFacts(CapabilityUploads.Complete(fingerprint), CheckCatalogue.BuiltIn, now) is not { } verdict)
            {
                continue;
            }

            checkedServices.Add(new CheckedService(verdict.Ip, verdict.Port, verdict.CheckIds));
            found.AddRange(verdict.Found.Select(f => new VulnerabilityObservation(f.CheckId, f.Title, f.Severity, verdict.Ip, verdict.Port, f.Evidence, f.Remediation,
                f.References)));
        }

        await ledger.RecordRunAsync(processed.ScanId, checkedServices, found, cancellationToken);
    }
}
