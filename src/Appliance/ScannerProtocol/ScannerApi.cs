using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Outpost.Appliance.Capabilities;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.Operations;
using Outpost.Appliance.Planning;
using Outpost.Appliance.Scheduling;
using Outpost.Store;
using Outpost.Store.Model;

namespace Outpost.Appliance.ScannerProtocol;

/// <summary>
/// The scanner job protocol (docs/protocol.md): one route group under <c>/scanner</c>, authenticated by <c>X-API-Key</c>.
///
/// HOT PATH. Every scanner request in the fleet comes through here, and the benchmark holds it to 60 % of bare
/// Kestrel with every acknowledgment durable. Handlers validate, make one store call (which returns once the change
/// is durable), and map its status: no LINQ, no extra store reads, no per-request parsing beyond the body.
/// Store mutations are not given the request's cancellation token: once a change is under way it completes, so a
/// client that hangs up never leaves an ambiguous half-state behind.
/// </summary>
public static class ScannerApi
{
    /// <summary>GET /scanner/jobs claims at most this many jobs per call, whatever the scanner asks.</summary>
    public const int MaxClaim = 10;

    private const int MaxErrorMessageLength = 2048;
    private const int MaxVersionLength = 64;

    // The replies that are the same every time, serialized once (JsonReply): nearly every lifecycle call gets one.
    private static readonly JsonReply<OkResponse> Done = JsonReply.Encoded(OkResponse.Done, OutpostJsonContext.Default.OkResponse);
    private static readonly JsonReply<OkResponse> Stop = JsonReply.Encoded(OkResponse.StopJob, OutpostJsonContext.Default.OkResponse);
    private static readonly JsonReply<OkResponse> GoOnNothingExcluded =
        JsonReply.Encoded(OkResponse.Done with { Exclude = [] }, OutpostJsonContext.Default.OkResponse);
    private static readonly JsonReply<OkResponse> StopNothingExcluded =
        JsonReply.Encoded(OkResponse.StopJob with { Exclude = [] }, OutpostJsonContext.Default.OkResponse);
    private static readonly JsonReply<ClaimResponse> NoJobs = JsonReply.Encoded(new ClaimResponse([]), OutpostJsonContext.Default.ClaimResponse);

    public static RouteGroupBuilder MapScannerApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/scanner").WithMetadata(ScannerKeyRequired.Instance).WithTags("Scanner protocol");
        group.MapGet("/jobs", ClaimAsync);
        group.MapPost("/jobs/{jobId:long}/start", StartAsync);
        group.MapPost("/jobs/{jobId:long}/progress", ProgressAsync);
        group.MapPost("/jobs/{jobId:long}/complete", CompleteAsync);
        group.MapPost("/jobs/{jobId:long}/results", ResultsAsync);
        // The media type is checked in the handler, not by routing (Accepts), so an unauthenticated caller gets 401 first.
        group.MapPut("/jobs/{jobId:long}/screenshots", ScreenshotAsync).AddOpenApiOperationTransformer(DescribePngBody);
        group.MapPost("/heartbeat", HeartbeatAsync);
        return group;
    }

    private static async Task<Results<JsonReply<ClaimResponse>, BadRequestError, ForbiddenError>> ClaimAsync(HttpContext context, string? limit,
        IOutpostStore store, IpBinding binding, DispatchGate gate, TimeProvider clock, ApplianceMetrics metrics)
    {
        var max = 1;
        if (limit is not null)
        {
            if (!long.TryParse(limit, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var asked) || asked < 1)
            {
                return new BadRequestError("limit must be a whole number of at least 1 (values above 10 are capped at 10).");
            }

            max = (int)Math.Min(asked, MaxClaim);
        }

        var scanner = Caller(context);
        var remote = RemoteAddress(context);
        if (!binding.Allows(scanner, remote))
        {
            return new ForbiddenError(ErrorCodes.IpBindingViolation, "This scanner may not fetch jobs from this address.");
        }

        // Outside the scan windows and while scheduling is paused, automated jobs wait in the queue; manual ones never do.
        // The gate answers from memory (it re-reads its two documents at most once a second).
        var now = clock.GetUtcNow();
        var started = TimeProvider.System.GetTimestamp();
        var jobs = await store.ClaimAsync(scanner.Id, max, remote?.ToString(), now, gate.AutomatedAllowed(now), ScannerCapabilities.JobNames(scanner), scanner.Pool);
        metrics.Committed("claim", started);
        metrics.Claimed(jobs.Count);
        if (jobs.Count == 0)
        {
            return NoJobs; // the common claim: a store call and a reply serialized once
        }

        // The scan settings as the gate holds them (this node's own edits apply at once, another node's within a
        // second): no document read per claim, which on PostgreSQL would be a round trip.
        var settings = gate.Settings;
        var perHost = settings.MaxConnectionsPerHost;
        var exclude = DoNotScan.EntriesFor(settings, scanner);
        var wire = new ScannerJob[jobs.Count];
        for (var i = 0; i < wire.Length; i++)
        {
            var job = jobs[i];
            wire[i] = new ScannerJob(job.JobId, job.ScanId, job.Name, job.Targets, job.MaxProbesPerSecond, perHost, job.Seed, job.Cursor, exclude);
        }

        return new JsonReply<ClaimResponse>(new ClaimResponse(wire), OutpostJsonContext.Default.ClaimResponse);
    }

    private static async Task<Results<JsonReply<OkResponse>, BadRequestError, ForbiddenError, NotFoundError, ConflictError>> StartAsync(HttpContext context, long jobId,
        IOutpostStore store, TimeProvider clock, ApplianceMetrics metrics)
    {
        var started = TimeProvider.System.GetTimestamp();
        var update = await store.StartAsync(Caller(context).Id, jobId, clock.GetUtcNow());
        metrics.Committed("start", started);
        return Reply(update, jobId);
    }

    private static async Task<Results<JsonReply<OkResponse>, BadRequestError, ForbiddenError, NotFoundError, ConflictError>> ProgressAsync(HttpContext context,
        long jobId, ProgressRequest body, IOutpostStore store, DispatchGate gate, TimeProvider clock, ApplianceMetrics metrics)
    {
        if (body.ProgressCount < 0 || body.ResultCount < 0 || body.Cursor < 0)
        {
            return new BadRequestError("progressCount, resultCount and cursor must not be negative.");
        }

        if (body.Cursor > Job.MaxCursor)
        {
            return new BadRequestError($"cursor must be at most {Job.MaxCursor}.");
        }

        var started = TimeProvider.System.GetTimestamp();
        var scanner = Caller(context);
        var update = await store.ProgressAsync(scanner.Id, jobId, body.ProgressCount, body.ResultCount, body.Cursor ?? 0, clock.GetUtcNow());
        metrics.Committed("progress", started);
        if (update.Status != StoreStatus.Ok)
        {
            return Reply(update, jobId);
        }

        // The do-not-scan list as it stands, so an edit reaches the running job within one progress interval.
        var exclude = DoNotScan.EntriesFor(gate.Settings, scanner);
        return exclude.Count == 0
            ? update.StopRequested ? StopNothingExcluded : GoOnNothingExcluded
            : new JsonReply<OkResponse>(new OkResponse(true) { Stop = update.StopRequested ? true : null, Exclude = exclude }, OutpostJsonContext.Default.OkResponse);
    }

    private static async Task<Results<JsonReply<OkResponse>, BadRequestError, ForbiddenError, NotFoundError, ConflictError>> CompleteAsync(HttpContext context,
        long jobId, CompleteRequest body, IOutpostStore store, InventoryProcessor inventory, TimeProvider clock, ApplianceMetrics metrics)
    {
        bool failed;
        if (body.Status == "completed")
        {
            failed = false;
        }
        else if (body.Status == "failed")
        {
            failed = true;
        }
        else
        {
            return new BadRequestError("status must be \"completed\" or \"failed\".");
        }

        if (body.ResultCount < 0)
        {
            return new BadRequestError("resultCount must not be negative.");
        }

        // A failing scanner should not be refused over a long stack trace: keep the start, which names the cause.
        var message = body.ErrorMessage is { Length: > MaxErrorMessageLength } text ? text[..MaxErrorMessageLength] : body.ErrorMessage;
        var started = TimeProvider.System.GetTimestamp();
        var update = await store.CompleteAsync(Caller(context).Id, jobId, failed, body.ResultCount, message, clock.GetUtcNow());
        metrics.Committed("complete", started);
        if (update.Status == StoreStatus.Ok)
        {
            metrics.Finished(failed);
            if (store.GetJob(jobId) is { } job) await inventory.AfterJobEndedAsync(job.ScanId, context.RequestAborted);
        }

        return Reply(update, jobId);
    }

    private static async Task<Results<JsonReply<ResultsResponse>, BadRequestError, ForbiddenError, NotFoundError, ConflictError, UnsupportedMediaTypeError>> ResultsAsync(HttpContext context,
        long jobId, ResultsRequest body, FindingsIntake intake, CapabilityUploads uploads, TimeProvider clock, ApplianceMetrics metrics)
    {
        if ((body.Results is null ? 0 : 1) + (body.Services is null ? 0 : 1) + (body.Pages is null ? 0 : 1) + (body.Vulnerabilities is null ? 0 : 1) != 1)
        {
            return new BadRequestError("Send exactly one of results (open ports), services, pages or vulnerabilities.");
        }

        if (body.Results is not { } results)
        {
            // Typed results of the other capabilities (docs/capabilities.md): off the port scan's hot path.
            var (typedStatus, error) = body switch
            {
                { Services: { } services } => await uploads.PutServicesAsync(Caller(context).Id, jobId, services),
                { Pages: { } pages } => await uploads.PutPagesAsync(Caller(context).Id, jobId, pages),
                _ => await uploads.PutVulnerabilitiesAsync(Caller(context).Id, jobId, body.Vulnerabilities!),
            };
            return error is not null
                ? new BadRequestError(error)
                : Accepted(typedStatus, body.Services?.Count ?? body.Pages?.Count ?? body.Vulnerabilities!.Count, jobId);
        }

        var findings = new Finding[results.Count];
        for (var i = 0; i < findings.Length; i++)
        {
            var item = results[i];
            if (item is null)
            {
                return new BadRequestError($"results[{i}] is null.");
            }

            if (!IPAddress.TryParse(item.Ip, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork || item.Ip.AsSpan().Count('.') != 3)
            {
                return new BadRequestError($"results[{i}].ip '{item.Ip}' is not an IPv4 address.");
            }

            if (item.Port is < 1 or > 65535)
            {
                return new BadRequestError($"results[{i}].port must be from 1 to 65535.");
            }

            if (item.Proto != "tcp")
            {
                return new BadRequestError($"results[{i}].proto must be \"tcp\".");
            }

            if (item.State is not ("open" or "closed"))
            {
                return new BadRequestError($"results[{i}].state must be \"open\" or \"closed\".");
            }

            if (item.Ttl is < 0 or > 255)
            {
                return new BadRequestError($"results[{i}].ttl must be from 0 to 255.");
            }

            findings[i] = new Finding(ip.ToString(), item.Port, item.Proto, item.State, item.Ttl);
        }

        var started = TimeProvider.System.GetTimestamp();
        var result = await intake.AppendAsync(Caller(context).Id, jobId, findings, clock.GetUtcNow());
        metrics.Committed("results", started);
        return result.Outcome switch
        {
            // Accepted counts what the scanner sent, not what was new: a repeated batch gets the same reply.
            FindingsOutcome.Accepted => new JsonReply<ResultsResponse>(new ResultsResponse(true, findings.Length), OutpostJsonContext.Default.ResultsResponse),
            FindingsOutcome.JobNotFound => JobNotFound(jobId),
            FindingsOutcome.JobNotOwned => JobNotOwned(jobId),
            FindingsOutcome.OutsideJob => new BadRequestError(result.Message!),
            FindingsOutcome.CapReached => new ConflictError(result.Message!, ErrorCodes.FindingsCapReached),
            _ => NotActive(jobId),
        };
    }

    /// <summary>
    /// One screenshot, as the PNG body (docs/capabilities.md): <c>ip</c>, <c>port</c> and <c>url</c> say what was
    /// rendered. Another Content-Type than image/png is refused with 415 (the route's Accepts), a body over the
    /// daemon's 1 MiB limit with 413 before it is read whole.
    /// </summary>
    private static async Task<Results<JsonReply<ResultsResponse>, BadRequestError, ForbiddenError, NotFoundError, ConflictError, UnsupportedMediaTypeError>> ScreenshotAsync(
        HttpContext context, long jobId, string? ip, string? port, string? url, CapabilityUploads uploads)
    {
        if (!string.Equals(context.Request.ContentType, PngType, StringComparison.OrdinalIgnoreCase))
        {
            return new UnsupportedMediaTypeError("A screenshot is uploaded as the PNG body (Content-Type: image/png).");
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var portNumber))
        {
            return new BadRequestError("port must be a whole number from 1 to 65535.");
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var (status, error) = await uploads.PutScreenshotAsync(Caller(context).Id, jobId, ip, portNumber, url, body.ToArray());
        return error is not null ? new BadRequestError(error) : Accepted(status, 1, jobId);
    }

    private const string PngType = "image/png";

    private static Task DescribePngBody(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType> { [PngType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } } },
        };
        return Task.CompletedTask;
    }

    private static Results<JsonReply<ResultsResponse>, BadRequestError, ForbiddenError, NotFoundError, ConflictError, UnsupportedMediaTypeError> Accepted(StoreStatus status, int count, long jobId) =>
        status switch
        {
            // Accepted counts what the scanner sent, not what was new: a repeated batch gets the same reply.
            StoreStatus.Ok => new JsonReply<ResultsResponse>(new ResultsResponse(true, count), OutpostJsonContext.Default.ResultsResponse),
            StoreStatus.NotFound => JobNotFound(jobId),
            StoreStatus.NotOwned => JobNotOwned(jobId),
            _ => NotActive(jobId),
        };

    private static async Task<Results<JsonReply<HeartbeatResponse>, BadRequestError>> HeartbeatAsync(HttpContext context, HeartbeatRequest? body,
        IOutpostStore store, LeaseReconciler leases, TimeProvider clock, ApplianceMetrics metrics)
    {
        var version = body?.Version;
        if (version is { Length: > MaxVersionLength })
        {
            return new BadRequestError($"version must be at most {MaxVersionLength} characters.");
        }

        var capabilities = ScannerCapabilities.Parse(body?.Capabilities, body?.CapabilityVersions, out var capabilitiesError);
        if (capabilitiesError is not null)
        {
            return new BadRequestError(capabilitiesError);
        }

        var scanner = Caller(context);
        var now = clock.GetUtcNow();
        var started = TimeProvider.System.GetTimestamp();
        await store.RecordHeartbeatAsync(scanner.Id, now, RemoteAddress(context)?.ToString(), version, capabilities);
        metrics.Committed("heartbeat", started);

        // Stop what the scanner holds for a stopping scan and whatever it reports running that is no longer its own;
        // re-queue what it holds but has stopped reporting for the lease grace.
        var stop = await leases.ReconcileAsync(store, scanner, body?.RunningJobs);
        return new JsonReply<HeartbeatResponse>(new HeartbeatResponse(true, now, stop), OutpostJsonContext.Default.HeartbeatResponse);
    }

    // One reply type for the three lifecycle calls; start never answers 400, it just shares the signature.
    private static Results<JsonReply<OkResponse>, BadRequestError, ForbiddenError, NotFoundError, ConflictError> Reply(JobUpdate update, long jobId) => update.Status switch
    {
        StoreStatus.Ok => update.StopRequested ? Stop : Done,
        StoreStatus.NotFound => JobNotFound(jobId),
        StoreStatus.NotOwned => JobNotOwned(jobId),
        _ => NotActive(jobId),
    };

    private static NotFoundError JobNotFound(long jobId) => new($"Job {jobId} does not exist.");

    private static ForbiddenError JobNotOwned(long jobId) => new(ErrorCodes.JobNotOwned, $"Job {jobId} is assigned to another scanner.");

    private static ConflictError NotActive(long jobId) => new($"Job {jobId} is not in a state that allows this.");

    private static Store.Model.Scanner Caller(HttpContext context) => context.Features.GetRequiredFeature<AuthenticatedScanner>().Scanner;

    private static IPAddress? RemoteAddress(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        return remote is { IsIPv4MappedToIPv6: true } ? remote.MapToIPv4() : remote;
    }
}
