using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.Scheduling;
using Outpost.Store;
using Outpost.Store.Model;
using Outpost.Store.Records;
using Outpost.Store.Records.Inventory;

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
        schedules.MapGet("", ListAsync);
        schedules.MapGet("/{id:long}", GetAsync);
    }

    private static async Task<Ok<ScheduleListResponse>> ListAsync(IOutpostStore store, RecordsDatabase records, CancellationToken ct)
    {
        var schedules = new List<ScheduleResponse>();
        var processing = await new InventoryProcessing(records).ListAsync(ct);
        foreach (var schedule in Documents.ListSchedules(store))
        {
            if (await ToResponseAsync(schedule, store, records, processing, ct) is { } response)
            {
                schedules.Add(response);
            }
        }

        return TypedResults.Ok(new ScheduleListResponse(schedules));
    }

    private static async Task<Results<Ok<ScheduleResponse>, NotFoundError>> GetAsync(long id, IOutpostStore store, RecordsDatabase records, CancellationToken ct) =>
        Documents.ReadSchedule(store, id) is { } schedule &&
        await ToResponseAsync(schedule, store, records, await new InventoryProcessing(records).ListAsync(ct), ct) is { } response
            ? TypedResults.Ok(response)
            : new NotFoundError($"Recurring scan {id} does not exist.");

    /// <summary>Null for the remains of a removed recurring scan (its scan is gone; the scheduler deletes the rest).</summary>
    private static async Task<ScheduleResponse?> ToResponseAsync(RecurringSchedule schedule, IOutpostStore store, RecordsDatabase records,
        Dictionary<long, ProcessingState> processing, CancellationToken ct)
    {
        if (store.GetScan(schedule.Id) is not { } template)
        {
            return null;
        }

        // A recurring scan an admin stopped has no next run.
        var next = template.Status == ScanStatus.Scheduled ? schedule.NextRunAt : null;
        var inventory = new InventoryQueries(records);
        var runs = new List<ScheduleRunResponse>(schedule.Runs.Count);
        foreach (var r in schedule.Runs)
        {
            var scan = r.ScanId is { } scanId ? store.GetScan(scanId) : null;
            var state = scan is null ? null : processing.GetValueOrDefault(scan.Id);
            // Each processed run with the counts of its change summary (the lists: GET /api/scans/{id}/changes).
            var changes = scan is not null && state is { IsProcessed: true } ? await inventory.GetChangeCountsAsync(scan.Id, ct) : null;
            runs.Add(new ScheduleRunResponse(r.At, r.ScanId is null ? "skipped" : "started", r.ScanId,
                scan is null ? null : ScanProcessingView.Status(scan, state).ToWire(), r.Skipped) { Changes = changes is null ? null : ToResponse(changes) });
        }

        return new ScheduleResponse(schedule.Id, template.Spec.Name, schedule.Cron, schedule.TimeZone, next, schedule.CreatedAt, runs);
    }

    private static ChangeCountsResponse ToResponse(ChangeCounts c) => new(c.NewAssets, c.GoneAssets, c.NewServices, c.GoneServices, c.ChangedServices);
}
