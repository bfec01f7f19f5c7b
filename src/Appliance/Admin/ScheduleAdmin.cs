using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Scheduling;
using Outpost.Store;
using Outpost.Store.Model;

namespace Outpost.Appliance.Admin;

/// <summary>
/// Recurring scans with the history of their due times: each run (a scan of its own) or the reason it was skipped.
/// They are created and removed as scans (<c>POST /api/scans</c> with <c>schedule.cron</c>, <c>DELETE /api/scans/{id}</c>);
/// a schedule's id is its scan's id.
/// </summary>
public static class ScheduleAdmin
{
    public static void MapScheduleAdmin(this RouteGroupBuilder api)
    {
        var schedules = api.MapGroup("/schedules").WithTags("Schedules");
        schedules.MapGet("", List);
        schedules.MapGet("/{id:long}", Get);
    }

    private static Ok<ScheduleListResponse> List(IOutpostStore store)
    {
        var schedules = new List<ScheduleResponse>();
        foreach (var schedule in Documents.ListSchedules(store))
        {
            if (ToResponse(schedule, store) is { } response)
            {
                schedules.Add(response);
            }
        }

        return TypedResults.Ok(new ScheduleListResponse(schedules));
    }

    private static Results<Ok<ScheduleResponse>, NotFoundError> Get(long id, IOutpostStore store) =>
        Documents.ReadSchedule(store, id) is { } schedule && ToResponse(schedule, store) is { } response
            ? TypedResults.Ok(response)
            : new NotFoundError($"Recurring scan {id} does not exist.");

    /// <summary>Null for the remains of a removed recurring scan (its scan is gone; the scheduler deletes the rest).</summary>
    private static ScheduleResponse? ToResponse(RecurringSchedule schedule, IOutpostStore store)
    {
        if (store.GetScan(schedule.Id) is not { } template)
        {
            return null;
        }

        // A recurring scan an admin stopped has no next run.
        var next = template.Status == ScanStatus.Scheduled ? schedule.NextRunAt : null;
        var runs = schedule.Runs.Select(r => new ScheduleRunResponse(r.At, r.ScanId is null ? "skipped" : "started", r.ScanId,
            r.ScanId is { } scanId ? store.GetScan(scanId)?.Status.ToWire() : null, r.Skipped)).ToList();
        return new ScheduleResponse(schedule.Id, template.Spec.Name, schedule.Cron, schedule.TimeZone, next, schedule.CreatedAt, runs);
    }
}
