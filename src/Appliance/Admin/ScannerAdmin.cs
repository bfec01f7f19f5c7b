using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Capabilities;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Http;
using Outpost.Appliance.Planning;
using Outpost.Appliance.ScannerProtocol;
using Outpost.Store;
using Outpost.Store.Model;

namespace Outpost.Appliance.Admin;

/// <summary>Scanner nodes: create (the API key is in that reply only), list, get, patch (also the pool), rotate the key.</summary>
public static class ScannerAdmin
{
    private const int MaxNameLength = 100;

    public static void MapScannerAdmin(this RouteGroupBuilder api)
    {
        var scanners = api.MapGroup("/scanners").WithTags("Scanners");
        scanners.MapGet("", List);
        scanners.MapGet("/{id:long}", Get);
        var manage = api.MapGroup("/scanners").WithTags("Scanners").RequireAuthorization(AuthPolicies.Admin);
        manage.MapPost("", CreateAsync);
        manage.MapPatch("/{id:long}", PatchAsync);
        manage.MapPost("/{id:long}/rotate-key", RotateKeyAsync);
    }

    private static async Task<Results<Created<ScannerResponse>, BadRequestError>> CreateAsync(CreateScannerRequest body, IOutpostStore store,
        TimeProvider clock, IOptions<OutpostOptions> options)
    {
        var name = ValidateName(body.Name, out var error);
        var cidrs = error is null ? ValidateCidrs(body.AllowedCidrs ?? [], out error) : null;
        if (error is null && body.MaxProbesPerSecond is < 1 or > ProbeRate.Max)
        {
            error = $"maxProbesPerSecond must be from 1 to {ProbeRate.Max}.";
        }

        var pool = error is null && body.Pool is not null ? ScannerPools.Validate(body.Pool, out error) : null;

        if (error is not null)
        {
            return new BadRequestError(error);
        }

        var (key, hash) = ApiKeys.Create();
        var now = clock.GetUtcNow();
        var scanner = await store.CreateScannerAsync(name!, hash, cidrs!, body.MaxProbesPerSecond, now, pool);
        return TypedResults.Created($"/api/scanners/{scanner.Id}", ToResponse(scanner, now, options.Value) with { ApiKey = key });
    }

    private static Ok<ScannerListResponse> List(IOutpostStore store, TimeProvider clock, IOptions<OutpostOptions> options)
    {
        var now = clock.GetUtcNow();
        return TypedResults.Ok(new ScannerListResponse(store.ListScanners().Select(s => ToResponse(s, now, options.Value)).ToList()));
    }

    private static Results<Ok<ScannerResponse>, NotFoundError> Get(long id, IOutpostStore store, TimeProvider clock, IOptions<OutpostOptions> options) =>
        store.GetScanner(id) is { } scanner
            ? TypedResults.Ok(ToResponse(scanner, clock.GetUtcNow(), options.Value))
            : NotFound(id);

    private static async Task<Results<Ok<ScannerResponse>, BadRequestError, NotFoundError>> PatchAsync(long id, PatchScannerRequest body,
        IOutpostStore store, TimeProvider clock, IOptions<OutpostOptions> options)
    {
        string? error = null;
        var name = body.Name is null ? null : ValidateName(body.Name, out error);
        var cidrs = error is null && body.AllowedCidrs is not null ? ValidateCidrs(body.AllowedCidrs, out error) : null;
        int? rate = null;
        var clearRate = false;
        if (error is null)
        {
            switch (body.MaxProbesPerSecond.ValueKind)
            {
                case JsonValueKind.Undefined:
                    break;
                case JsonValueKind.Null:
                    clearRate = true;
                    break;
                case JsonValueKind.Number when body.MaxProbesPerSecond.TryGetInt32(out var value) && value is >= 1 and <= ProbeRate.Max:
                    rate = value;
                    break;
                default:
                    error = $"maxProbesPerSecond must be null (no limit) or a whole number from 1 to {ProbeRate.Max}.";
                    break;
            }
        }

        string? pool = null;
        var leavePool = false;
        if (error is null)
        {
            switch (body.Pool.ValueKind)
            {
                case JsonValueKind.Undefined:
                    break;
                case JsonValueKind.Null:
                    leavePool = true;
                    break;
                case JsonValueKind.String:
                    pool = ScannerPools.Validate(body.Pool.GetString()!, out error);
                    break;
                default:
                    error = "pool must be null (no pool) or a pool name.";
                    break;
            }
        }

        if (error is not null)
        {
            return new BadRequestError(error);
        }

        var (status, scanner) = await store.UpdateScannerAsync(id, new ScannerPatch(name, body.Enabled, cidrs, rate, clearRate, pool, leavePool));
        return status == StoreStatus.Ok && scanner is not null
            ? TypedResults.Ok(ToResponse(scanner, clock.GetUtcNow(), options.Value))
            : NotFound(id);
    }

    private static async Task<Results<Ok<ScannerResponse>, NotFoundError>> RotateKeyAsync(long id, IOutpostStore store, TimeProvider clock,
        IOptions<OutpostOptions> options)
    {
        var (key, hash) = ApiKeys.Create();
        var (status, scanner) = await store.RotateScannerKeyAsync(id, hash);
        return status == StoreStatus.Ok && scanner is not null
            ? TypedResults.Ok(ToResponse(scanner, clock.GetUtcNow(), options.Value) with { ApiKey = key })
            : NotFound(id);
    }

    public static ScannerResponse ToResponse(Store.Model.Scanner scanner, DateTimeOffset now, OutpostOptions options) =>
        new(scanner.Id, scanner.Name, scanner.Enabled, scanner.AllowedCidrs, scanner.MaxProbesPerSecond,
            ScannerPresence.IsOnline(scanner, now, options.Scanners), scanner.LastHeartbeatAt, scanner.SourceIp, scanner.Version, scanner.CreatedAt)
        {
            Capabilities = ScannerCapabilities.Describe(scanner),
            CapabilitiesReported = scanner.Capabilities is not null,
            Pool = scanner.Pool,
        };

    private static NotFoundError NotFound(long id) => new($"Scanner {id} does not exist.");

    private static string? ValidateName(string name, out string? error)
    {
        var trimmed = name.Trim();
        error = trimmed.Length is 0 or > MaxNameLength ? $"name must be 1 to {MaxNameLength} characters." : null;
        return error is null ? trimmed : null;
    }

    private static List<string>? ValidateCidrs(IReadOnlyList<string> cidrs, out string? error)
    {
        var normalized = new List<string>(cidrs.Count);
        foreach (var cidr in cidrs)
        {
            if (IpBinding.Normalize(cidr, out error) is not { } network)
            {
                error = "allowedCidrs: " + error;
                return null;
            }

            if (!normalized.Contains(network))
            {
                normalized.Add(network);
            }
        }

        error = null;
        return normalized;
    }
}
