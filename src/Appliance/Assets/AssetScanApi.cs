using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Admin;
using Outpost.Appliance.BuiltInScanner;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Planning;
using Outpost.Appliance.Scheduling;
using Outpost.Store;
using Outpost.Store.Model;
using Outpost.Store.Queries;

namespace Outpost.Appliance.Assets;

/// <summary>
/// <c>POST /api/assets/scan</c>: the Assets page's scan actions on selected assets (docs/assets-page.md). The scan is
/// manual — it runs now and ignores scan windows and the pause, like any scan an admin starts — and its follow-ups
/// carry its action.
/// </summary>
public static class AssetScanApi
{
    public const int MaxIps = 10_000;

    public static void MapAssetScan(this RouteGroupBuilder api) =>
        api.MapGroup("/assets").WithTags("Assets").RequireAuthorization(AuthPolicies.Operator).MapPost("/scan", CreateAsync);

    private static async Task<Results<Created<ScanResponse>, BadRequestError>> CreateAsync(AssetScanRequest body, IOutpostStore store, TimeProvider clock)
    {
        var action = body.Action?.Trim();
        if (action is null || !AssetScanActions.All.Contains(action))
        {
            return new BadRequestError($"action must be one of {string.Join(", ", AssetScanActions.All)}.");
        }

        if (body.Ips is not { Count: > 0 and <= MaxIps } ips)
        {
            return new BadRequestError($"ips must list 1 to {MaxIps} IPv4 addresses.");
        }

        var targets = new List<string>(ips.Count);
        foreach (var ip in ips)
        {
            if (ip is null || !AddressRanges.TryParseAddress(ip.Trim(), out _))
            {
                return new BadRequestError($"ips: '{ip}' is not an IPv4 address such as 10.0.3.7.");
            }

            if (!targets.Contains(ip.Trim()))
            {
                targets.Add(ip.Trim());
            }
        }

        var settings = Documents.ReadScanSettings(store);
        if (ScanPlanner.ResolvePorts(body.Ports ?? AssetScanActions.DefaultPorts(action), settings, out var portsError) is not { } ports)
        {
            return new BadRequestError("ports: " + portsError);
        }

        var scanners = new List<Store.Model.Scanner>();
        if (body.ScannerIds is null)
        {
            if (store.ListScanners().FirstOrDefault(s => s.Name == BuiltInScannerOptions.ScannerName) is not { } builtIn)
            {
                return new BadRequestError("scannerIds: there is no built-in scanner; name the scanners to run the scan.");
            }

            scanners.Add(builtIn);
        }
        else
        {
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

            if (scanners.Count == 0)
            {
                return new BadRequestError("scannerIds must name at least one scanner (or be left out for the built-in one).");
            }
        }

        var spec = new ScanSpec
        {
            Name = AssetScanActions.Title(action),
            Capability = AssetScanActions.FirstCapability(action),
            Targets = targets,
            Ports = ports,
            ScannerIds = scanners.ConvertAll(s => s.Id),
            Action = action,
        };
        var planned = ScanPlanner.Split(spec, settings, scanners, []);
        if (NewJob.OversizedSpec(planned) is { } oversized)
        {
            return new BadRequestError(oversized);
        }

        var scan = await store.CreateScanAsync(spec, ScanStatus.Running, planned, clock.GetUtcNow());
        return TypedResults.Created($"/api/scans/{scan.Id}", ScanAdmin.ToResponse(scan, null));
    }
}
