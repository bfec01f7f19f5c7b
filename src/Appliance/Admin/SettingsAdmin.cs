using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Planning;
using Outpost.Appliance.Scheduling;
using Outpost.Store;

namespace Outpost.Appliance.Admin;

/// <summary>Scan settings: windows and their time zone, subnet and port-list rate limits, the attribution header, the default rate.</summary>
public static class SettingsAdmin
{
    public static void MapSettingsAdmin(this RouteGroupBuilder api)
    {
        var settings = api.MapGroup("/settings").WithTags("Settings");
        settings.MapGet("/scan", (IOutpostStore store) => TypedResults.Ok(Documents.ReadScanSettings(store)));
        api.MapGroup("/settings").WithTags("Settings").RequireAuthorization(AuthPolicies.Admin).MapPut("/scan", PutAsync);
    }

    private static async Task<Results<Ok<ScanSettings>, BadRequestError>> PutAsync(ScanSettings body, IOutpostStore store, DispatchGate gate)
    {
        if (ScanSettingsRules.Validate(body, out var normalized) is { } error)
        {
            return new BadRequestError(error);
        }

        await Documents.WriteAsync(store, Documents.ScanSettingsKey, normalized, OutpostJsonContext.Default.ScanSettings);
        // New windows or a new time zone apply to the next claim.
        gate.Invalidate();
        return TypedResults.Ok(normalized);
    }
}
