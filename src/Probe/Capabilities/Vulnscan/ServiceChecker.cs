using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Capabilities.Vulnscan.Catalogue;

namespace Outpost.Probe.Capabilities.Vulnscan;

/// <summary>
/// Runs the catalogue against one fingerprinted service: every check that concerns it, those over facts at once,
/// the network ones each on its own connection (one at a time per service; the gate bounds the whole run).
/// </summary>
public static class ServiceChecker
{
    internal static async Task<ServiceVulnerabilities> CheckAsync(ServiceFingerprint service, CheckCatalogue catalogue, ConnectionGate gate,
        FingerprintOptions options, CancellationToken ct)
    {
        var facts = Facts(service);
        var checkedIds = new List<string>();
        var found = new List<VulnerabilityFinding>();
        foreach (var check in catalogue.Checks)
        {
            if (!CheckEvaluator.Applies(check, service.Service, service.Tls is not null))
            {
                continue;
            }

            var observation = check.NeedsNetwork ? await CheckExchange.RunAsync(check, facts, gate, options, ct).ConfigureAwait(false) : facts;
            if (observation is null)
            {
                continue;
            }

            checkedIds.Add(check.Id);
            if (CheckEvaluator.Evaluate(check, observation, options.Time.GetUtcNow()) is { } evidence)
            {
                found.Add(Finding(check, evidence));
            }
        }

        return new ServiceVulnerabilities { Ip = service.Ip, Port = service.Port, CheckIds = checkedIds, Found = found };
    }

    /// <summary>
    /// The checks that need no network over a fingerprint: what the appliance runs when fingerprints arrive
    /// (docs/vulnscan.md). Null when none concerns the service.
    /// </summary>
    public static ServiceVulnerabilities? CheckFacts(ServiceFingerprint service, CheckCatalogue catalogue, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(catalogue);
        var facts = Facts(service);
        var checkedIds = new List<string>();
        var found = new List<VulnerabilityFinding>();
        foreach (var check in catalogue.Checks)
        {
            if (check.NeedsNetwork || !CheckEvaluator.Applies(check, service.Service, service.Tls is not null))
            {
                continue;
            }

            checkedIds.Add(check.Id);
            if (CheckEvaluator.Evaluate(check, facts, now) is { } evidence)
            {
                found.Add(Finding(check, evidence));
            }
        }

        return checkedIds.Count == 0 ? null : new ServiceVulnerabilities { Ip = service.Ip, Port = service.Port, CheckIds = checkedIds, Found = found };
    }

    private static Observation Facts(ServiceFingerprint service) => new()
    {
        Ip = service.Ip,
        Port = service.Port,
        Service = service.Service,
        Product = service.Product,
        Banner = service.Banner,
        Tls = service.Tls,
        Http = service.Http,
    };

    private static VulnerabilityFinding Finding(VulnCheck check, string evidence) =>
        new(check.Id, check.Title, check.Severity, evidence, check.Remediation, check.References);
}
