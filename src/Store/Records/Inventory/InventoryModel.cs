namespace Outpost.Store.Records.Inventory;

/// <summary>
/// A service as one scan saw it (or as the inventory holds it): what the port scan, the fingerprint, the crawler and
/// the screenshot said about (<see cref="Ip"/>, <see cref="Port"/>, <see cref="Proto"/>). Facts a scan did not gather are null.
/// </summary>
public sealed record ServiceSnapshot(string Ip, int Port, string Proto, string? Service, string? Product, string? Version, string? CertSubject,
    string? CertSha256, DateTimeOffset? CertNotAfter, string? HttpTitle);

/// <summary>A service whose product/version, certificate or title differs from the previous run's (<see cref="Previous"/>).</summary>
public sealed record ServiceChange(ServiceSnapshot Service, ServiceSnapshot Previous);

/// <summary>
/// What changed in a scan against the previous processed run over the same targets (<see cref="PreviousScanId"/>,
/// null for the first run: then everything it saw is new). Assets are addresses.
/// </summary>
public sealed record ChangeSummary(long ScanId, long? PreviousScanId, IReadOnlyList<string> NewAssets, IReadOnlyList<string> GoneAssets,
    IReadOnlyList<ServiceSnapshot> NewServices, IReadOnlyList<ServiceSnapshot> GoneServices, IReadOnlyList<ServiceChange> ChangedServices);

/// <summary>How many entries each list of a change summary has.</summary>
public sealed record ChangeCounts(int NewAssets, int GoneAssets, int NewServices, int GoneServices, int ChangedServices);

/// <summary>Where a scan's processing stands.</summary>
public enum ProcessingPhase
{
    /// <summary>Results are being folded into the inventory, a batch at a time (the cursor says how far).</summary>
    Folding = 0,
    /// <summary>Folded; the change summary is next.</summary>
    Summarizing = 1,
    /// <summary>Processed: the scan shows its final status; the listeners have not all been told yet.</summary>
    Processed = 2,
    /// <summary>Processed and every listener was told.</summary>
    Notified = 3,
}

/// <summary>
/// A scan's processing row. <see cref="FinishedAt"/> is the finish it processes: a scan a re-run reopens finishes
/// again later, and is processed again (folding is idempotent).
/// </summary>
public sealed record ProcessingState(long ScanId, string RunKey, long? PreviousScanId, DateTimeOffset FinishedAt, string? CursorIp, long Processed,
    long Total, ProcessingPhase Phase)
{
    public bool IsProcessed => Phase >= ProcessingPhase.Processed;

    /// <summary>True when this row is of the finish at <paramref name="finishedAt"/> (records keep times to the microsecond).</summary>
    public bool Covers(DateTimeOffset finishedAt) => RecordsCommands.Microseconds(FinishedAt) == RecordsCommands.Microseconds(finishedAt);
}

/// <summary>
/// An asset as the search lists it. <see cref="Hostnames"/> are every name known for it (certificates, crawled URLs,
/// reverse DNS); <see cref="DnsNames"/> those of them that reverse DNS gave.
/// </summary>
public sealed record AssetSummary(string Ip, IReadOnlyList<string> Hostnames, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, long FirstScanId,
    long LastScanId, int Services, IReadOnlyList<string> DnsNames);

/// <summary>A service as the inventory holds it: the latest facts, when it was first and last seen, and whether the latest run missed it.</summary>
public sealed record InventoryService(ServiceSnapshot Facts, long? ScreenshotScanId, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, long FirstScanId,
    long LastScanId, long? GoneScanId);

/// <summary>One event of an asset's timeline. <see cref="Kind"/>: asset-new, asset-gone, service-new, service-gone, service-changed.</summary>
public sealed record HistoryEvent(DateTimeOffset At, long ScanId, string Kind, int Port, string Proto, string? Detail);

/// <summary>An asset with its services, the scans that saw it and its timeline (newest first).</summary>
public sealed record AssetDetail(AssetSummary Asset, IReadOnlyList<InventoryService> Services, IReadOnlyList<long> SeenByScans,
    IReadOnlyList<HistoryEvent> History);

/// <summary>
/// A search of the inventory: <see cref="Text"/> matches a substring of the address, a hostname, a service, a product
/// or a certificate subject; the other filters narrow. Pages follow the address order after <see cref="AfterIp"/>.
/// </summary>
public sealed record AssetQuery
{
    public string? Text { get; init; }
    public int? Port { get; init; }
    public string? Service { get; init; }
    public DateTimeOffset? FirstSeenSince { get; init; }
    /// <summary>Only assets with a certificate that expires before this instant.</summary>
    public DateTimeOffset? CertificateExpiresBefore { get; init; }
    public string? AfterIp { get; init; }
    public int Limit { get; init; } = 100;
}

/// <summary>One page of assets and the address to continue after (null after the last page).</summary>
public sealed record AssetPage(IReadOnlyList<AssetSummary> Assets, string? NextAfterIp);
