namespace Outpost.Store.Model;

/// <summary>Where a job is in its lifecycle (docs/lifecycle.md). Values are persisted: append only, never renumber.</summary>
public enum JobStatus : byte
{
    Queued = 0,
    Claimed = 1,
    Running = 2,
    Completed = 3,
    Failed = 4,
    /// <summary>Cancelled before any scanner claimed it (its scan was stopped).</summary>
    Cancelled = 5,
}

public static class JobStatusExtensions
{
    public static bool IsFinished(this JobStatus status) => status >= JobStatus.Completed;

    /// <summary>
    /// The status the Jobs page shows, counts and filters by: a claimed job is shown as queued (docs/admin-api.md). The
    /// FASTER backend applies this; PostgreSQL says it in SQL (<c>status IN ('queued', 'claimed')</c>); the contract test
    /// <c>The_jobs_query_filters_the_window_by_status_text_and_failed_reason_with_counts</c> holds the two together.
    /// </summary>
    public static JobStatus ShownAs(this JobStatus status) => status == JobStatus.Claimed ? JobStatus.Queued : status;

    /// <summary>The lowercase name the protocol and the UI use ("queued", "claimed", …).</summary>
    public static string ToWire(this JobStatus status) => status switch
    {
        JobStatus.Queued => "queued",
        JobStatus.Claimed => "claimed",
        JobStatus.Running => "running",
        JobStatus.Completed => "completed",
        JobStatus.Failed => "failed",
        JobStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
