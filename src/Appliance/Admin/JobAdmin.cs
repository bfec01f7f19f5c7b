using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Store;
using Outpost.Store.Model;
using Outpost.Store.Records;

namespace Outpost.Appliance.Admin;

/// <summary>
/// The Jobs page's API: a filtered, searched, paged window of jobs with counts and failed reasons, computed by the
/// store (the UI must stay fast with 100 000 jobs in the window), one job, and re-run.
/// </summary>
public static class JobAdmin
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
    private const int MaxTextLength = 200;

    public static void MapJobAdmin(this RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapGet("", QueryAsync);
        jobs.MapGet("/{id:long}", Get);
        api.MapGroup("/jobs").WithTags("Jobs").RequireAuthorization(AuthPolicies.Operator).MapPost("/{id:long}/rerun", RerunAsync);
    }

    /// <summary>
    /// <c>?status=queued|running|completed|failed|cancelled</c> (queued includes claimed), <c>q</c> text search,
    /// <c>since</c> (ISO 8601; default 24 h ago), <c>limit</c> (1–1000, default 100), <c>cursor</c> (from nextCursor),
    /// <c>reason</c> (a failed reason from failedReasons), <c>scanId</c>.
    /// </summary>
    private static async Task<Results<Ok<JobListResponse>, BadRequestError>> QueryAsync(string? status, string? q, string? since, string? limit, string? cursor,
        string? reason, string? scanId, IOutpostStore store, RecordsDatabase records, TimeProvider clock, CancellationToken ct)
    {
        JobStatus? wanted = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (ParseStatus(status) is not { } parsed)
            {
                return new BadRequestError("status must be one of queued, running, completed, failed, cancelled.");
            }

            wanted = parsed;
        }

        var from = clock.GetUtcNow().AddHours(-24);
        if (!string.IsNullOrEmpty(since) && !DateTimeOffset.TryParse(since, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out from))
        {
            return new BadRequestError("since must be a date and time such as 2026-01-31T12:00:00Z.");
        }

        var pageSize = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, out pageSize) || pageSize is < 1 or > MaxLimit))
        {
            return new BadRequestError($"limit must be a whole number from 1 to {MaxLimit}.");
        }

        long? scan = null;
        if (!string.IsNullOrEmpty(scanId))
        {
            if (!long.TryParse(scanId, out var parsedScan))
            {
                return new BadRequestError("scanId must be a scan id.");
            }

            scan = parsedScan;
        }

        if (q is { Length: > MaxTextLength } || reason is { Length: > MaxTextLength } || cursor is { Length: > MaxTextLength })
        {
            return new BadRequestError($"q, reason and cursor must be at most {MaxTextLength} characters.");
        }

        var addresses = await AddressSearch.AddressesOfAsync(q, records, ct);
        JobPage page;
        try
        {
            page = store.QueryJobs(new JobQuery
            {
                Since = from,
                Status = wanted,
                FailedReason = string.IsNullOrEmpty(reason) ? null : reason,
                Text = string.IsNullOrWhiteSpace(q) ? null : q.Trim(),
                Addresses = addresses,
                ScanId = scan,
                Limit = pageSize,
                Cursor = string.IsNullOrEmpty(cursor) ? null : cursor,
            });
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            // The cursor is opaque: one that did not come from nextCursor is the client's mistake, not a crash.
            return new BadRequestError("cursor is not valid; pass back nextCursor exactly.");
        }

        var names = ScannerNames(store);
        return TypedResults.Ok(new JobListResponse(page.Jobs.Select(j => ToResponse(j, names)).ToList(), page.Counts, page.FailedReasons, page.NextCursor));
    }

    private static Results<Ok<JobResponse>, NotFoundError> Get(long id, IOutpostStore store) =>
        store.GetJob(id) is { } job ? TypedResults.Ok(ToResponse(job, ScannerNames(store))) : NotFound(id);

    private static async Task<Results<Created<JobResponse>, NotFoundError, ConflictError>> RerunAsync(long id, IOutpostStore store, TimeProvider clock)
    {
        var (status, job) = await store.RerunAsync(id, clock.GetUtcNow());
        return status switch
        {
            StoreStatus.Ok when job is not null => TypedResults.Created($"/api/jobs/{job.JobId}", ToResponse(job, ScannerNames(store))),
            StoreStatus.InvalidTransition => new ConflictError($"Job {id} is still queued or running; only a finished job can be re-run."),
            _ => NotFound(id),
        };
    }

    private static JobStatus? ParseStatus(string status) => status switch
    {
        "queued" => JobStatus.Queued,
        "running" => JobStatus.Running,
        "completed" => JobStatus.Completed,
        "failed" => JobStatus.Failed,
        "cancelled" => JobStatus.Cancelled,
        _ => null,
    };

    private static Dictionary<long, string> ScannerNames(IOutpostStore store) => store.ListScanners().ToDictionary(s => s.Id, s => s.Name);

    private static JobResponse ToResponse(Job job, Dictionary<long, string> scannerNames) =>
        new(job.JobId, job.ScanId, job.ScannerId, scannerNames.GetValueOrDefault(job.ScannerId), job.Name, job.Targets, job.Status.ToWire(),
            job.Attempts, job.ProgressCount, job.ResultCount, job.SourceIp, job.ErrorMessage, job.RerunOf, job.Automated, job.StopRequested,
            job.CreatedAt, job.ClaimedAt, job.StartedAt, job.FinishedAt, job.MaxProbesPerSecond)
        {
            Pool = job.Pool,
        };

    private static NotFoundError NotFound(long id) => new($"Job {id} does not exist.");
}
