using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Capabilities;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.Planning;
using Outpost.Appliance.Scheduling;
using Outpost.Probe.Targets;
using Outpost.Store;
using Outpost.Store.Model;
using Outpost.Store.Records;
using Outpost.Store.Records.Inventory;

namespace Outpost.Appliance.Admin;

/// <summary>
/// Scans: create (now: validated and split into jobs in the same commit; at a time or on a cron expression: handed to
/// the scheduler), list, get, stop, remove a scheduled or recurring one, results (ScanResults).
/// </summary>
public static class ScanAdmin
{
    private const int MaxNameLength = 200;
    private const int MaxTargets = 10_000;

    public static void MapScanAdmin(this RouteGroupBuilder api)
    {
        var scans = api.MapGroup("/scans").WithTags("Scans");
        scans.MapGet("", ListAsync);
        scans.MapGet("/{id:long}", GetAsync);
        scans.MapGet("/{id:long}/results", ScanResults.GetAsync).AddOpenApiOperationTransformer(ScanResults.DescribeExports);
        var run = api.MapGroup("/scans").WithTags("Scans").RequireAuthorization(AuthPolicies.Operator);
        run.MapPost("", CreateAsync);
        run.MapPost("/{id:long}/stop", StopAsync);
        run.MapDelete("/{id:long}", DeleteAsync);
    }

    private static async Task<Results<Created<ScanResponse>, BadRequestError>> CreateAsync(CreateScanRequest body, IOutpostStore store, ScanScheduler scheduler,
        TimeProvider clock)
    {
        var name = body.Name.Trim();
        if (name.Length is 0 or > MaxNameLength)
        {
            return new BadRequestError($"name must be 1 to {MaxNameLength} characters.");
        }

        if (body.Targets.Count is 0 or > MaxTargets)
        {
            return new BadRequestError($"targets must list 1 to {MaxTargets} CIDR blocks, addresses or ranges.");
        }

        var targets = new List<string>(body.Targets.Count);
        foreach (var target in body.Targets)
        {
            if (!Ipv4Range.TryParse(target, out var range, out var targetError))
            {
                return new BadRequestError("targets: " + targetError);
            }

            targets.Add(range.ToString());
        }

        var settings = Documents.ReadScanSettings(store);
        if (ScanPlanner.ResolvePorts(body.Ports, settings, out var portsError) is not { } ports)
        {
            return new BadRequestError("ports: " + portsError);
        }

        if (body.ScannerIds.Count == 0)
        {
            return new BadRequestError("scannerIds must name at least one scanner.");
        }

        var scanners = new List<Store.Model.Scanner>(body.ScannerIds.Count);
        foreach (var id in body.ScannerIds)
        {
            if (store.GetScanner(id) is not { } scanner)
            {
                return new BadRequestError($"scannerIds: scanner {id} does not exist.");
            }

            if (!scanners.Exists(s => s.Id == id))
            {
                scanners.Add(scanner);
            }
        }

        if (body.MaxProbesPerSecond is < 1 or > ProbeRate.Max)
        {
            return new BadRequestError($"maxProbesPerSecond must be from 1 to {ProbeRate.Max}.");
        }

        var capability = body.Capability?.Trim() ?? ScanSpec.DefaultCapability;
        if (!ScannerCapabilities.Known.Contains(capability))
        {
            return new BadRequestError($"capability must be one of {string.Join(", ", ScannerCapabilities.Known)}.");
        }

        var spec = new ScanSpec
        {
            Name = name,
            Capability = capability,
            Targets = targets,
            Ports = ports,
            ScannerIds = scanners.ConvertAll(s => s.Id),
            MaxProbesPerSecond = body.MaxProbesPerSecond,
        };
        // Planned now even when the scan runs later, so a scan the store could not hold is refused before it exists.
        var planned = ScanPlanner.Split(spec, settings, scanners);
        if (NewJob.OversizedSpec(planned) is { } oversized)
        {
            return new BadRequestError(oversized);
        }

        if (body.Schedule is { Cron: { } cron } schedule)
        {
            if (schedule.At is not null)
            {
                return new BadRequestError("schedule: give either at (once) or cron (recurring), not both.");
            }

            var zoneId = schedule.TimeZone?.Trim() ?? settings.TimeZone;
            if (ScanWindowCalendar.FindZone(zoneId) is not { } zone)
            {
                return new BadRequestError($"schedule.timeZone: '{zoneId}' is not a known time zone (use an IANA name such as Europe/Berlin).");
            }

            if (CronSchedule.TryParse(cron, zone, out var cronError) is not { } parsed)
            {
                return new BadRequestError("schedule.cron: " + cronError);
            }

            // Runs are started by the scheduler: automated, so scan windows and pause apply to them.
            if (await scheduler.CreateRecurringAsync(spec with { Automated = true }, cron.Trim(), parsed, zoneId) is not { } created)
            {
                return new BadRequestError("schedule.cron: the expression never falls due again.");
            }

            return TypedResults.Created($"/api/scans/{created.Scan.Id}", ToResponse(created.Scan, created.Schedule));
        }

        var now = clock.GetUtcNow();
        if (body.Schedule?.At is { } at && at > now)
        {
            // A one-off scheduled scan is started by the scheduler at its time (windows and pause apply).
            var scheduled = await store.CreateScanAsync(spec with { ScheduledAt = at, Automated = true }, ScanStatus.Scheduled, [], now);
            return TypedResults.Created($"/api/scans/{scheduled.Id}", ToResponse(scheduled, null));
        }

        var scan = await store.CreateScanAsync(spec, ScanStatus.Running, planned, now);
        return TypedResults.Created($"/api/scans/{scan.Id}", ToResponse(scan, null));
    }

    private static async Task<Results<Ok<ScanListResponse>, BadRequestError>> ListAsync(string? status, IOutpostStore store, RecordsDatabase records,
        CancellationToken ct)
    {
        ScanStatus? wanted = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!Enum.TryParse<ScanStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || parsed.ToWire() != status)
            {
                return new BadRequestError("status must be one of scheduled, running, stopping, processing, stopped, completed, failed.");
            }

            wanted = parsed;
        }

        var schedules = Documents.ListSchedules(store).ToDictionary(s => s.Id);
        var processing = await new InventoryProcessing(records).ListAsync(ct);
        var scans = store.ListScans()
            .Select(s => ToResponse(s, schedules.GetValueOrDefault(s.Id), processing.GetValueOrDefault(s.Id)))
            .Where(s => wanted is null || s.Status == wanted.Value.ToWire())
            .ToList();
        return TypedResults.Ok(new ScanListResponse(scans));
    }

    private static async Task<Results<Ok<ScanResponse>, NotFoundError>> GetAsync(long id, IOutpostStore store, RecordsDatabase records, CancellationToken ct) =>
        store.GetScan(id) is { } scan
            ? TypedResults.Ok(ToResponse(scan, Documents.ReadSchedule(store, id), await new InventoryProcessing(records).GetAsync(id, ct)))
            : NotFound(id);

    private static async Task<Results<Ok<ScanResponse>, NotFoundError, ConflictError>> StopAsync(long id, IOutpostStore store, TimeProvider clock)
    {
        var (status, scan) = await store.StopScanAsync(id, clock.GetUtcNow());
        return status switch
        {
            StoreStatus.Ok when scan is not null => TypedResults.Ok(ToResponse(scan, Documents.ReadSchedule(store, id))),
            StoreStatus.InvalidTransition => new ConflictError($"Scan {id} has already finished."),
            _ => NotFound(id),
        };
    }

    /// <summary>Removes a scheduled one-off scan, or a recurring scan (no further runs; past runs and results stay).</summary>
    private static async Task<Results<NoContent, NotFoundError, ConflictError>> DeleteAsync(long id, ScanScheduler scheduler) =>
        await scheduler.RemoveAsync(id) switch
        {
            StoreStatus.Ok => TypedResults.NoContent(),
            StoreStatus.InvalidTransition => new ConflictError($"Scan {id} has started; only scheduled and recurring scans can be removed (stop a running one)."),
            _ => NotFound(id),
        };

    /// <summary>
    /// The scan's wire shape; <paramref name="schedule"/> is its recurring schedule when it is a recurring scan, and
    /// <paramref name="processing"/> its inventory processing row, which decides between <c>processing</c> and the final status.
    /// </summary>
    public static ScanResponse ToResponse(Scan scan, RecurringSchedule? schedule, ProcessingState? processing = null)
    {
        var spec = scan.Spec;
        // Overlapping targets count once, as the probe engine visits them once.
        var addresses = TargetSet.TryParse(spec.Targets, spec.Ports, out var set, out _) ? set!.HostCount : 0;

        // A recurring scan an admin stopped runs no more.
        var next = scan.Status == ScanStatus.Scheduled ? schedule?.NextRunAt : null;
        var jobs = scan.Jobs;
        var progress = ScanProcessingView.Progress(scan, processing);
        return new ScanResponse(scan.Id, spec.Name, ScanProcessingView.Status(scan, processing).ToWire(), spec.Targets, spec.Ports, spec.ScannerIds, spec.MaxProbesPerSecond,
            spec.ScheduledAt ?? next, spec.Automated, scan.CreatedAt, scan.StartedAt, scan.FinishedAt,
            new JobCountsResponse(jobs.Queued, jobs.Claimed, jobs.Running, jobs.Completed, jobs.Failed, jobs.Cancelled),
            scan.ProgressCount, scan.ResultCount, addresses, spec.ScheduleId,
            schedule is null ? null : new RecurrenceResponse(schedule.Cron, schedule.TimeZone, next))
        {
            Capability = spec.Capability,
            Processing = progress is { } p ? new ProcessingResponse(p.Processed, p.Total) : null,
        };
    }

    private static NotFoundError NotFound(long id) => new($"Scan {id} does not exist.");
}
