using Outpost.Store.Model;
using Outpost.Store.Records.Inventory;

namespace Outpost.Appliance.Inventory;

/// <summary>
/// The status the admin API shows for a scan (docs/lifecycle.md): the job store keeps the final status from the moment
/// the last job ends, and the scan shows <c>processing</c> until the inventory has processed that finish.
/// </summary>
public static class ScanProcessingView
{
    public static ScanStatus Status(Scan scan, ProcessingState? state) => IsProcessing(scan, state) ? ScanStatus.Processing : scan.Status;

    /// <summary>True while the scan's probing has ended and its processing (of this finish) has not.</summary>
    public static bool IsProcessing(Scan scan, ProcessingState? state) =>
        scan.Status.IsFinished() && scan.FinishedAt is { } finished && !(state is { IsProcessed: true } && state.Covers(finished));

    /// <summary>Results processed of those to process (the inner ring), once probing has ended; null before.</summary>
    public static (long Processed, long Total)? Progress(Scan scan, ProcessingState? state)
    {
        if (!scan.Status.IsFinished() || scan.FinishedAt is not { } finished) return null;
        // Not begun, or begun for an earlier finish (a re-run reopened the scan): nothing of this finish is folded yet.
        return state is not null && state.Covers(finished) ? (state.Processed, state.Total) : (0, 0);
    }
}
