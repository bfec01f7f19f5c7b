using Outpost.Store.Records.Inventory;

namespace Outpost.Appliance.Inventory;

/// <summary>
/// Told once a scan's results are in the inventory: the processing, including the change summary, has committed.
/// Every registered listener (DI <c>IEnumerable&lt;IScanProcessedListener&gt;</c>) is called, one after another.
/// Delivery is at least once: a crash, or a listener that throws, before every listener returned makes the next
/// processing tick call all of them again for the scan, so a listener must be idempotent (key what it does by
/// <see cref="ScanProcessed.ScanId"/>). A listener that throws is logged and retried at the next tick.
/// </summary>
public interface IScanProcessedListener
{
    Task OnScanProcessedAsync(ScanProcessed processed, CancellationToken cancellationToken);
}

/// <summary>A processed scan and what changed against the previous run over the same targets.</summary>
public sealed record ScanProcessed(long ScanId, ChangeSummary ChangeSummary);
