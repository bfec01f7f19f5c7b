using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Probe.Targets;
using Outpost.Store;
using Outpost.Store.Model;

namespace Outpost.Appliance.Admin;

/// <summary>Scans: create (validated, split into jobs in the same commit), list, get, stop, results as JSON or CSV.</summary>
public static class ScanAdmin
{
    private const int MaxNameLength = 200;
    private const int MaxTargets = 10_000;

    public static void MapScanAdmin(this RouteGroupBuilder api)
    {
        var scans = api.MapGroup("/scans").WithTags("Scans");
        scans.MapPost("", CreateAsync);
        scans.MapGet("", List);
        scans.MapGet("/{id:long}", Get);
        scans.MapPost("/{id:long}/stop", StopAsync);
        scans.MapGet("/{id:long}/results", Results);
    }

    private static async Task<Results<Created<ScanResponse>, BadRequestError>> CreateAsync(CreateScanRequest body, IOutpostStore store, TimeProvider clock)
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

        if (body.MaxProbesPerSecond is < 1 or > ScanSettingsRules.MaxRate)
        {
            return new BadRequestError($"maxProbesPerSecond must be from 1 to {ScanSettingsRules.MaxRate}.");
        }

        if (body.Schedule?.Cron is not null)
        {
            // Recurring scans belong to the scheduler; until it exists, say so rather than accept and never run.
            return new BadRequestError("schedule.cron: recurring scans are not supported yet; use schedule.at for a one-off time.");
        }

        var now = clock.GetUtcNow();
        var scheduled = body.Schedule?.At is { } at && at > now;
        var spec = new ScanSpec
        {
            Name = name,
            Targets = targets,
            Ports = ports,
            ScannerIds = scanners.ConvertAll(s => s.Id),
            MaxProbesPerSecond = body.MaxProbesPerSecond,
            ScheduledAt = scheduled ? body.Schedule!.At : null,
        };
        var jobs = scheduled ? [] : ScanPlanner.Split(spec, settings, scanners);
        var scan = await store.CreateScanAsync(spec, scheduled ? ScanStatus.Scheduled : ScanStatus.Running, jobs, now);
        return TypedResults.Created($"/api/scans/{scan.Id}", ToResponse(scan));
    }

    private static Results<Ok<ScanListResponse>, BadRequestError> List(string? status, IOutpostStore store)
    {
        ScanStatus? wanted = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!Enum.TryParse<ScanStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || parsed.ToWire() != status)
            {
                return new BadRequestError("status must be one of scheduled, running, stopping, stopped, completed, failed.");
            }

            wanted = parsed;
        }

        var scans = store.ListScans().Where(s => wanted is null || s.Status == wanted).Select(ToResponse).ToList();
        return TypedResults.Ok(new ScanListResponse(scans));
    }

    private static Results<Ok<ScanResponse>, NotFoundError> Get(long id, IOutpostStore store) =>
        store.GetScan(id) is { } scan ? TypedResults.Ok(ToResponse(scan)) : NotFound(id);

    private static async Task<Results<Ok<ScanResponse>, NotFoundError, ConflictError>> StopAsync(long id, IOutpostStore store, TimeProvider clock)
    {
        var (status, scan) = await store.StopScanAsync(id, clock.GetUtcNow());
        return status switch
        {
            StoreStatus.Ok when scan is not null => TypedResults.Ok(ToResponse(scan)),
            StoreStatus.InvalidTransition => new ConflictError($"Scan {id} has already finished."),
            _ => NotFound(id),
        };
    }

    private static Results<Ok<ScanResultsResponse>, ContentHttpResult, BadRequestError, NotFoundError> Results(long id, string? format, IOutpostStore store)
    {
        if (format is not (null or "json" or "csv"))
        {
            return new BadRequestError("format must be json or csv.");
        }

        if (store.GetScan(id) is null)
        {
            return NotFound(id);
        }

        var findings = store.ListFindings(id);
        if (format == "csv")
        {
            var csv = new StringBuilder("ip,port,proto,state,ttl,jobId,seenAt\n");
            foreach (var f in findings)
            {
                csv.Append(CultureInfo.InvariantCulture,
                    $"{f.Finding.Ip},{f.Finding.Port},{f.Finding.Proto},{f.Finding.State},{f.Finding.Ttl},{f.JobId},{f.SeenAt:O}\n");
            }

            return TypedResults.Text(csv.ToString(), "text/csv; charset=utf-8");
        }

        return TypedResults.Ok(new ScanResultsResponse(id, findings
            .Select(f => new FindingResponse(f.Finding.Ip, f.Finding.Port, f.Finding.Proto, f.Finding.State, f.Finding.Ttl, f.JobId, f.SeenAt))
            .ToList()));
    }

    public static ScanResponse ToResponse(Scan scan)
    {
        var spec = scan.Spec;
        // Overlapping targets count once, as the probe engine visits them once.
        var addresses = TargetSet.TryParse(spec.Targets, spec.Ports, out var set, out _) ? set!.HostCount : 0;

        var jobs = scan.Jobs;
        return new ScanResponse(scan.Id, spec.Name, scan.Status.ToWire(), spec.Targets, spec.Ports, spec.ScannerIds, spec.MaxProbesPerSecond,
            spec.ScheduledAt, spec.Automated, scan.CreatedAt, scan.StartedAt, scan.FinishedAt,
            new JobCountsResponse(jobs.Queued, jobs.Claimed, jobs.Running, jobs.Completed, jobs.Failed, jobs.Cancelled),
            scan.ProgressCount, scan.ResultCount, addresses);
    }

    private static NotFoundError NotFound(long id) => new($"Scan {id} does not exist.");
}
