using System.Text;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;
using Outpost.Store.Queries;

namespace Outpost.Store.Faster;

// The Jobs page's query. Job ids grow with creation time, so the time window is an id range walked newest
// first, stopping at the first job older than the window: the store is never scanned beyond the window.
public sealed partial class FasterOutpostStore
{
    public JobPage QueryJobs(JobQuery query)
    {
        var since = Ticks.Of(query.Since);
        var before = JobCursor.Before(query.Cursor);
        var text = string.IsNullOrWhiteSpace(query.Text) ? null : query.Text.Trim();
        var limit = Math.Clamp(query.Limit, 1, 1000);
        var page = new List<Job>(limit);
        long queued = 0, running = 0, completed = 0, failed = 0, cancelled = 0;
        var reasons = new Dictionary<string, long>(StringComparer.Ordinal);
        var more = false;

        for (var jobId = _catalog.JobIdHighWater; jobId >= _lowestJobId; jobId--)
        {
            if (!_jobs.TryRead(jobId, out var record)) continue;
            if (record.CreatedAt < since) break;
            if (query.ScanId is { } scanId && record.ScanId != scanId) continue;
            var error = record.Status == JobStatus.Failed && _blobs.Get(jobId, BlobKind.Error) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;
            if ((text is not null || query.Addresses is { Count: > 0 }) && !Matches(in record, error, text, query.Addresses)) continue;

            switch (record.Status)
            {
                case JobStatus.Queued or JobStatus.Claimed: queued++; break;
                case JobStatus.Running: running++; break;
                case JobStatus.Completed: completed++; break;
                case JobStatus.Failed: failed++; break;
                case JobStatus.Cancelled: cancelled++; break;
            }
            string? reason = null;
            if (record.Status == JobStatus.Failed)
            {
                reason = FailedReasons.Normalize(error);
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            }

            if (jobId >= before || !MatchesFilters(query, record.Status, reason)) continue;
            if (page.Count < limit) page.Add(ToJob(in record));
            else more = true;
        }

        var counts = new StatusCounts(queued, running, completed, failed, cancelled);
        var failedReasons = reasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).Select(r => new FailedReason(r.Key, r.Value)).ToList();
        var nextCursor = more ? JobCursor.After(page[^1].JobId) : null;
        return new JobPage(page, counts, failedReasons, nextCursor);
    }

    private static bool MatchesFilters(JobQuery query, JobStatus status, string? reason)
    {
        if (query.Status is { } wanted)
        {
            if (status.ShownAs() != wanted.ShownAs()) return false;
        }
        return query.FailedReason is null || string.Equals(reason, query.FailedReason, StringComparison.Ordinal);
    }

    /// <summary>
    /// Case-insensitive match against job name, targets, scanner name, source IP and error text, or targets that contain
    /// one of the addresses. PostgreSQL matches the same fields in SQL (<c>WindowSql</c> in PostgresOutpostStore.Queries.cs);
    /// the contract tests <c>The_jobs_query_filters_the_window_by_status_text_and_failed_reason_with_counts</c> and
    /// <c>The_jobs_query_finds_jobs_whose_targets_contain_an_address</c> check every field on both.
    /// </summary>
    private bool Matches(in JobRecord record, string? error, string? text, IReadOnlyList<uint>? addresses)
    {
        if (addresses is { Count: > 0 })
        {
            // Jobs from before ranges were stored have only their spec; their ranges are derived from it.
            var ranges = _blobs.Get(record.JobId, BlobKind.Ranges) ?? AddressRanges.Encode(ReadSpec(record.JobId).Targets);
            if (AddressRanges.Contains(ranges, addresses)) return true;
        }
        if (text is null) return false;
        const StringComparison IgnoreCase = StringComparison.OrdinalIgnoreCase;
        if (error?.Contains(text, IgnoreCase) == true) return true;
        if (record.SourceIp.ToString()?.Contains(text, IgnoreCase) == true) return true;
        if (_catalog.Scanner(record.ScannerId)?.Name.Contains(text, IgnoreCase) == true) return true;
        var (name, targets, _) = ReadSpec(record.JobId);
        if (name.Contains(text, IgnoreCase)) return true;
        foreach (var target in targets)
            if (target.Cidr.Contains(text, IgnoreCase) || target.Ports.Contains(text, IgnoreCase)) return true;
        return false;
    }
}
