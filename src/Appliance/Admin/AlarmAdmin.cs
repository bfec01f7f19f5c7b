using Outpost.Appliance.Contracts;
using Outpost.Store;

namespace Outpost.Appliance.Admin;

/// <summary>Open alarms (<c>scan-stuck</c>, <c>scanner-offline</c>), raised and cleared by the scanner supervisor.</summary>
public static class AlarmAdmin
{
    public static void MapAlarmAdmin(this RouteGroupBuilder api) =>
        api.MapGet("/alarms", (IOutpostStore store) => TypedResults.Ok(new AlarmListResponse(store.ListAlarms()))).WithTags("Alarms");
}
