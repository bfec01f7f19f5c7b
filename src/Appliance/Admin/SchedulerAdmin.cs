using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Scheduling;
using Outpost.Store;

namespace Outpost.Appliance.Admin;

/// <summary>
/// System-wide pause of automated scheduling (the Jobs page's Pause/Resume). The flag is a store document, so a
/// pause survives restarts. Running jobs finish and manual scans still run: pausing only stops new automated scans
/// (and holds queued automated jobs, see <see cref="DispatchGate"/>).
/// </summary>
public static class SchedulerAdmin
{
    public static void MapSchedulerAdmin(this RouteGroupBuilder api)
    {
        var scheduler = api.MapGroup("/scheduler").WithTags("Scheduler");
        scheduler.MapGet("", (DispatchGate gate, ScanScheduler cycle) => TypedResults.Ok(State(gate, cycle)));
        var control = api.MapGroup("/scheduler").WithTags("Scheduler").RequireAuthorization(AuthPolicies.Operator);
        control.MapPost("/pause", (IOutpostStore store, DispatchGate gate, ScanScheduler cycle) => SetAsync(store, gate, cycle, paused: true));
        control.MapPost("/resume", (IOutpostStore store, DispatchGate gate, ScanScheduler cycle) => SetAsync(store, gate, cycle, paused: false));
    }

    private static async Task<Ok<SchedulerResponse>> SetAsync(IOutpostStore store, DispatchGate gate, ScanScheduler cycle, bool paused)
    {
        await Documents.WriteAsync(store, Documents.SchedulerKey, new SchedulerState(paused), OutpostJsonContext.Default.SchedulerState);
        gate.Invalidate();
        return TypedResults.Ok(State(gate, cycle));
    }

    /// <summary>Paused, and when automated scanning next starts (see <see cref="ScanScheduler.NextCycleAt"/>).</summary>
    private static SchedulerResponse State(DispatchGate gate, ScanScheduler cycle) => new(gate.Paused, cycle.NextCycleAt());
}
