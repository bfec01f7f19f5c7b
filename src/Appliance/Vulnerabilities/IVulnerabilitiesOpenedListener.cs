using Outpost.Store.Records.Vulnerabilities;

namespace Outpost.Appliance.Vulnerabilities;

/// <summary>Told by the ledger, after a run is durable, which vulnerabilities it opened (new ones and reopened fixed ones); never on a repeated run.</summary>
public interface IVulnerabilitiesOpenedListener
{
    Task OnOpenedAsync(IReadOnlyList<StoredVulnerability> opened, CancellationToken ct);
}
