namespace Outpost.Store.Model;

/// <summary>A scan's status. Values are persisted: append only, never renumber.</summary>
public enum ScanStatus : byte
{
    /// <summary>Waiting for its start time (one-off scheduled scan); it has no jobs yet.</summary>
    Scheduled = 0,
    /// <summary>Has unfinished jobs.</summary>
    Running = 1,
    /// <summary>An admin asked it to stop; claimed and running jobs have not all confirmed yet.</summary>
    Stopping = 2,
    Stopped = 3,
    Completed = 4,
    Failed = 5,
    /// <summary>
    /// Probing has ended and the results are being folded into the inventory (docs/inventory.md). The job store
    /// never holds it: the store keeps the final status, and the admin API shows this one until the inventory says
    /// the scan is processed.
    /// </summary>
    Processing = 6,
}

public static class ScanStatusExtensions
{
    public static bool IsFinished(this ScanStatus status) => status is ScanStatus.Stopped or ScanStatus.Completed or ScanStatus.Failed;

    public static string ToWire(this ScanStatus status) => status switch
    {
        ScanStatus.Scheduled => "scheduled",
        ScanStatus.Running => "running",
        ScanStatus.Stopping => "stopping",
        ScanStatus.Stopped => "stopped",
        ScanStatus.Completed => "completed",
        ScanStatus.Failed => "failed",
        ScanStatus.Processing => "processing",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
