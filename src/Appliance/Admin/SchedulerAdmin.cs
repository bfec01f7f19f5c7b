using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Contracts;
using Outpost.Store;
using Outpost.Store.Model;

namespace Outpost.Appliance.Admin;

/// <summary>
/// System-wide pause of automated scheduling (the Jobs page's Pause/Resume). The flag is a store document, so a
/// pause survives restarts. Running jobs finish and manual scans still run: pausing only stops new automated scans.
/// </summary>
public static class SchedulerAdmin
{
    public static void MapSchedulerAdmin(this RouteGroupBuilder api)
    {
        var scheduler = api.MapGroup("/scheduler").WithTags("Scheduler");
        scheduler.MapGet("", Get);
        scheduler.MapPost("/pause", (IOutpostStore store) => SetAsync(store, paused: true));
        scheduler.MapPost("/resume", (IOutpostStore store) => SetAsync(store, paused: false));
    }

    private static Ok<SchedulerResponse> Get(IOutpostStore store) => TypedResults.Ok(State(store, Documents.ReadScheduler(store)));

    private static async Task<Ok<SchedulerResponse>> SetAsync(IOutpostStore store, bool paused)
    {
        var state = new SchedulerState(paused);
        await Documents.WriteAsync(store, Documents.SchedulerKey, state, OutpostJsonContext.Default.SchedulerState);
        return TypedResults.Ok(State(store, state));
    }

    /// <summary>The next cycle is the earliest scheduled scan's start; none while paused or with nothing scheduled.</summary>
    private static SchedulerResponse State(IOutpostStore store, SchedulerState state)
    {
        DateTimeOffset? next = null;
        if (!state.Paused)
        {
            foreach (var scan in store.ListScans())
            {
                if (scan.Status == ScanStatus.Scheduled && scan.Spec.ScheduledAt is { } at && (next is null || at < next))
                {
                    next = at;
                }
            }
        }

        return new SchedulerResponse(state.Paused, next);
    }
}
