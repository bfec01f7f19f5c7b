using System.Globalization;

namespace Outpost.Store.Queries;

/// <summary>
/// The Jobs page's paging cursor, one format for both backends: the id of the last job on the page, as invariant digits.
/// Job ids grow with creation time and pages run newest first, so the next page is every job below that id. Clients treat
/// the text as opaque (docs/admin-api.md); anything unreadable starts from the newest job.
/// </summary>
public static class JobCursor
{
    /// <summary>The exclusive upper bound of job ids for the page after <paramref name="cursor"/>.</summary>
    public static long Before(string? cursor) =>
        long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : long.MaxValue;

    /// <summary>The cursor that continues after the job <paramref name="lastJobId"/>.</summary>
    public static string After(long lastJobId) => lastJobId.ToString(CultureInfo.InvariantCulture);
}
