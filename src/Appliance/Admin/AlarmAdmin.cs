using Outpost.Appliance.Alarms;
using Outpost.Appliance.Contracts;
using Outpost.Store;

namespace Outpost.Appliance.Admin;

/// <summary>
/// Open alarms, raised and cleared by whatever watches for them (the scanner supervisor, the built-in scanner), and the
/// kinds there are (<see cref="AlarmKinds"/>), so the UI labels alarms without a list of its own.
/// </summary>
public static class AlarmAdmin
{
    public static void MapAlarmAdmin(this RouteGroupBuilder api)
    {
        var alarms = api.MapGroup("/alarms").WithTags("Alarms");
        alarms.MapGet("", (IOutpostStore store) => TypedResults.Ok(new AlarmListResponse(store.ListAlarms())));
        alarms.MapGet("/kinds", () => TypedResults.Ok(new AlarmKindListResponse(AlarmKinds.All)));
    }
}
