using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Planning;
using Outpost.Appliance.ScannerProtocol;
using Outpost.Store;

namespace Outpost.Appliance.Admin;

/// <summary>
/// Pools (docs/admin-api.md, "Pools"): read only. A pool exists while a scanner names it; scanners join and leave
/// with <c>POST/PATCH /api/scanners</c>.
/// </summary>
public static class PoolAdmin
{
    public static void MapPoolAdmin(this RouteGroupBuilder api) => api.MapGroup("/pools").WithTags("Scanners").MapGet("", List);

    private static Ok<PoolListResponse> List(IOutpostStore store, TimeProvider clock, IOptions<OutpostOptions> options)
    {
        var now = clock.GetUtcNow();
        var pools = new List<PoolResponse>();
        foreach (var pool in ScannerPools.Of(store.ListScanners()))
        {
            var members = new List<PoolMemberResponse>(pool.Members.Count);
            var online = 0;
            foreach (var scanner in pool.Members)
            {
                var isOnline = ScannerPresence.IsOnline(scanner, now, options.Value.Scanners);
                members.Add(new PoolMemberResponse(scanner.Id, scanner.Name, scanner.Enabled, isOnline));
                online += isOnline && scanner.Enabled ? 1 : 0;
            }

            pools.Add(new PoolResponse(pool.Name, members, online));
        }

        return TypedResults.Ok(new PoolListResponse(pools));
    }
}
