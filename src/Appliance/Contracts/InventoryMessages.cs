namespace Outpost.Appliance.Contracts;

/// <summary>
/// An asset (one address) as the inventory lists it (docs/inventory.md): <c>Hostnames</c> are every name known for it
/// (certificate SANs, crawled URLs, reverse DNS), <c>DnsNames</c> those of them that reverse DNS gave.
/// </summary>
public sealed record AssetResponse(string Ip, IReadOnlyList<string> Hostnames, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, long FirstScanId,
    long LastScanId, int Services, IReadOnlyList<string> DnsNames);

/// <summary>One page of the asset search, in address order; <c>NextCursor</c> fetches the next page, null after the last.</summary>
public sealed record AssetListResponse(IReadOnlyList<AssetResponse> Assets, string? NextCursor);

/// <summary>A service's TLS certificate, as the fingerprint saw it.</summary>
public sealed record CertificateResponse(string? Subject, string? Sha256, DateTimeOffset? NotAfter);

/// <summary>What a scan saw of a service (the change summary's entries); facts a scan did not gather are null.</summary>
public sealed record ServiceFactsResponse(string Ip, int Port, string Proto, string? Service, string? Product, string? Version,
    CertificateResponse? Certificate, string? HttpTitle);

/// <summary>
/// A service as the inventory holds it: the latest facts, the screenshot (a URL under the scan that took it), when it
/// was first and last seen, and <c>goneScanId</c>: the run that no longer saw it (null while it is there).
/// </summary>
public sealed record InventoryServiceResponse(string Ip, int Port, string Proto, string? Service, string? Product, string? Version,
    CertificateResponse? Certificate, string? HttpTitle, string? Screenshot, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, long FirstScanId,
    long LastScanId, long? GoneScanId);

/// <summary>One event of an asset's timeline: asset-new, asset-gone, service-new, service-gone or service-changed (port 0 for the asset's own).</summary>
public sealed record AssetEventResponse(DateTimeOffset At, long ScanId, string Kind, int Port, string Proto, string? Detail);

/// <summary>
/// <c>GET /api/assets/{ip}</c>: the asset, its services, the scans that saw it, its timeline (newest first) and its
/// vulnerabilities (most severe first, every status, at most <c>AssetVulnerabilityLimit</c>).
/// </summary>
public sealed record AssetDetailResponse(AssetResponse Asset, IReadOnlyList<InventoryServiceResponse> Services, IReadOnlyList<long> SeenByScans,
    IReadOnlyList<AssetEventResponse> History, IReadOnlyList<VulnerabilityResponse> Vulnerabilities);

/// <summary>A service that changed: what this run saw, and what the previous run saw.</summary>
public sealed record ChangedServiceResponse(ServiceFactsResponse Service, ServiceFactsResponse Previous);

/// <summary><c>GET /api/scans/{id}/changes</c>: the scan against the previous run over the same targets (null for a first run).</summary>
public sealed record ChangesResponse(long ScanId, long? PreviousScanId, IReadOnlyList<string> NewAssets, IReadOnlyList<string> GoneAssets,
    IReadOnlyList<ServiceFactsResponse> NewServices, IReadOnlyList<ServiceFactsResponse> GoneServices, IReadOnlyList<ChangedServiceResponse> ChangedServices);
