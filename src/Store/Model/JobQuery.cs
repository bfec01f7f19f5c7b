namespace Outpost.Store.Model;

/// <summary>The Jobs page's query: a time window, an optional status and text filter, a page.</summary>
public sealed record JobQuery
{
    /// <summary>Oldest creation time to include (the UI's default is the last 24 h).</summary>
    public required DateTimeOffset Since { get; init; }
    /// <summary>Only jobs in this status; null for all. Claimed jobs count as queued, as the UI shows them.</summary>
    public JobStatus? Status { get; init; }
    /// <summary>Only failed jobs whose error groups under this reason (see <see cref="FailedReason"/>).</summary>
    public string? FailedReason { get; init; }
    /// <summary>Case-insensitive text matched against job name, target, scanner name, source IP and error text.</summary>
    public string? Text { get; init; }
    /// <summary>
    /// Host-order IPv4 addresses: a job whose targets contain any of them matches too (besides <see cref="Text"/>), so a
    /// search for <c>10.0.5.7</c> finds the job over <c>10.0.0.0/20</c> (<see cref="Queries.AddressRanges"/>).
    /// </summary>
    public IReadOnlyList<uint>? Addresses { get; init; }
    public long? ScanId { get; init; }
    public int Limit { get; init; } = 100;
    /// <summary>Opaque cursor from the previous page's <see cref="JobPage.NextCursor"/>.</summary>
    public string? Cursor { get; init; }
}

/// <summary>A group of failed jobs whose error messages are alike (numbers, addresses and ids masked).</summary>
public sealed record FailedReason(string Reason, long Count);

/// <summary>Counts in the window as the Jobs page shows them: claimed jobs are counted as queued.</summary>
public sealed record StatusCounts(long Queued, long Running, long Completed, long Failed, long Cancelled);

/// <summary>One page of the Jobs page: newest first. Counts and failed reasons cover the whole window and text filter.</summary>
public sealed record JobPage(IReadOnlyList<Job> Jobs, StatusCounts Counts, IReadOnlyList<FailedReason> FailedReasons, string? NextCursor);
