using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Vulnerabilities;
using Outpost.Store;
using Outpost.Store.Records;
using Outpost.Store.Records.Inventory;
using Outpost.Store.Records.Vulnerabilities;

namespace Outpost.Appliance.Admin;

/// <summary>
/// The inventory (docs/inventory.md): the asset search (JSON pages, or every match as CSV or NDJSON), an asset's
/// detail, every service as CSV or NDJSON, and a scan's change summary. Read-only: viewers may call all of it.
/// </summary>
public static class InventoryAdmin
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1_000;
    private const int MaxText = 200;
    private const int MaxExpiryDays = 3_650;

    /// <summary>How many of an asset's vulnerabilities its detail lists (most severe first); the Vulnerabilities API pages the rest.</summary>
    public const int AssetVulnerabilityLimit = 500;

    public static void MapInventoryAdmin(this RouteGroupBuilder api)
    {
        var assets = api.MapGroup("/assets").WithTags("Inventory");
        assets.MapGet("", ListAsync).AddOpenApiOperationTransformer(DescribeExports);
        assets.MapGet("/services", ServicesAsync).AddOpenApiOperationTransformer(DescribeExports);
        assets.MapGet("/{ip}", GetAsync);
        api.MapGet("/scans/{id:long}/changes", ChangesAsync).WithTags("Scans");
    }

    private static async Task<Results<Ok<AssetListResponse>, PushStreamHttpResult, BadRequestError>> ListAsync(string? q, int? port, string? service,
        string? firstSeenSince, int? certExpiresWithinDays, string? cursor, int? limit, string? format, RecordsDatabase records, TimeProvider clock,
        CancellationToken ct)
    {
        if (format is not (null or "json" or "csv" or "ndjson")) return new BadRequestError("format must be json, csv or ndjson.");
        if (q is { Length: > MaxText }) return new BadRequestError($"q must be at most {MaxText} characters.");
        if (port is < 1 or > 65535) return new BadRequestError("port must be from 1 to 65535.");
        if (service is { Length: > MaxText }) return new BadRequestError($"service must be at most {MaxText} characters.");
        if (certExpiresWithinDays is < 0 or > MaxExpiryDays) return new BadRequestError($"certExpiresWithinDays must be from 0 to {MaxExpiryDays}.");
        if (limit is < 1 or > MaxLimit) return new BadRequestError($"limit must be from 1 to {MaxLimit}.");
        DateTimeOffset? since = null;
        if (firstSeenSince is { Length: > 0 })
        {
            if (!DateTimeOffset.TryParse(firstSeenSince, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return new BadRequestError("firstSeenSince must be an ISO 8601 date or time, such as 2026-11-01 or 2026-11-01T08:00:00Z.");
            }

            since = parsed;
        }

        string? after = null;
        if (cursor is { Length: > 0 })
        {
            if (format is "csv" or "ndjson") return new BadRequestError("cursor pages the JSON format; csv and ndjson export every match.");
            if (DecodeCursor(cursor) is not { } ip) return new BadRequestError("cursor is not one this endpoint returned.");
            after = ip;
        }

        var query = new AssetQuery
        {
            Text = q,
            Port = port,
            Service = service is { Length: > 0 } ? service : null,
            FirstSeenSince = since,
            CertificateExpiresBefore = certExpiresWithinDays is { } days ? clock.GetUtcNow().AddDays(days) : null,
            AfterIp = after,
            Limit = limit ?? DefaultLimit,
        };
        var inventory = new InventoryQueries(records);
        switch (format)
        {
            case "csv":
                return TypedResults.Stream(body => StreamedRows.WriteCsvAsync(body, "ip,hostnames,firstSeen,lastSeen,firstScanId,lastScanId,services,dnsNames",
                    inventory.ExportAssetsAsync(query, ct), a => AssetFields(a)), StreamedRows.CsvType, "assets.csv");
            case "ndjson":
                return TypedResults.Stream(body => StreamedRows.WriteNdjsonAsync(body, inventory.ExportAssetsAsync(query, ct).Select(ToResponse),
                    OutpostJsonContext.Default.AssetResponse), StreamedRows.NdjsonType, "assets.ndjson");
            default:
                var page = await inventory.SearchAsync(query, ct);
                return TypedResults.Ok(new AssetListResponse([.. page.Assets.Select(ToResponse)], page.NextAfterIp is { } next ? EncodeCursor(next) : null));
        }
    }

    private static Results<PushStreamHttpResult, BadRequestError> ServicesAsync(string? format, RecordsDatabase records, CancellationToken ct)
    {
        var inventory = new InventoryQueries(records);
        return format switch
        {
            "csv" => TypedResults.Stream(body => StreamedRows.WriteCsvAsync(body,
                "ip,port,proto,service,product,version,certSubject,certSha256,certNotAfter,httpTitle,firstSeen,lastSeen,firstScanId,lastScanId,goneScanId",
                inventory.ExportServicesAsync(ct), s => ServiceFields(s)), StreamedRows.CsvType, "services.csv"),
            "ndjson" => TypedResults.Stream(body => StreamedRows.WriteNdjsonAsync(body, inventory.ExportServicesAsync(ct).Select(ToResponse),
                OutpostJsonContext.Default.InventoryServiceResponse), StreamedRows.NdjsonType, "services.ndjson"),
            _ => new BadRequestError("format must be csv or ndjson (the services export)."),
        };
    }

    private static async Task<Results<Ok<AssetDetailResponse>, BadRequestError, NotFoundError>> GetAsync(string ip, RecordsDatabase records,
        CancellationToken ct)
    {
        if (!IsIpv4(ip)) return new BadRequestError($"'{ip}' is not an IPv4 address.");
        if (await new InventoryQueries(records).GetAssetAsync(ip, ct) is not { } detail) return new NotFoundError($"No asset has the address {ip}.");
        var vulnerabilities = await new VulnerabilityRecords(records).QueryAsync(new VulnerabilityFilter(Ip: ip), null, AssetVulnerabilityLimit, ct);
        return TypedResults.Ok(new AssetDetailResponse(ToResponse(detail.Asset), [.. detail.Services.Select(ToResponse)], detail.SeenByScans,
            [.. detail.History.Select(e => new AssetEventResponse(e.At, e.ScanId, e.Kind, e.Port, e.Proto, e.Detail))],
            [.. vulnerabilities.Select(VulnerabilityApi.ToResponse)]));
    }

    private static async Task<Results<Ok<ChangesResponse>, NotFoundError, ConflictError>> ChangesAsync(long id, IOutpostStore store, RecordsDatabase records,
        CancellationToken ct)
    {
        if (store.GetScan(id) is null) return new NotFoundError($"Scan {id} does not exist.");
        if (await new InventoryQueries(records).GetChangesAsync(id, ct) is not { } changes)
        {
            return new ConflictError($"Scan {id} is not processed yet: its change summary exists once its status is final.");
        }

        return TypedResults.Ok(ToResponse(changes));
    }

    public static ChangesResponse ToResponse(ChangeSummary changes) =>
        new(changes.ScanId, changes.PreviousScanId, changes.NewAssets, changes.GoneAssets, [.. changes.NewServices.Select(ToResponse)],
            [.. changes.GoneServices.Select(ToResponse)], [.. changes.ChangedServices.Select(c => new ChangedServiceResponse(ToResponse(c.Service), ToResponse(c.Previous)))]);

    private static ServiceFactsResponse ToResponse(ServiceSnapshot s) =>
        new(s.Ip, s.Port, s.Proto, s.Service, s.Product, s.Version, Certificate(s), s.HttpTitle);

    private static CertificateResponse? Certificate(ServiceSnapshot s) =>
        s.CertSha256 is null && s.CertSubject is null ? null : new CertificateResponse(s.CertSubject, s.CertSha256, s.CertNotAfter);

    private static AssetResponse ToResponse(AssetSummary a) =>
        new(a.Ip, a.Hostnames, a.FirstSeen, a.LastSeen, a.FirstScanId, a.LastScanId, a.Services, a.DnsNames);

    private static InventoryServiceResponse ToResponse(InventoryService s)
    {
        var f = s.Facts;
        var screenshot = s.ScreenshotScanId is { } scan ? $"/api/scans/{scan}/screenshots/{f.Ip}/{f.Port}" : null;
        return new InventoryServiceResponse(f.Ip, f.Port, f.Proto, f.Service, f.Product, f.Version, Certificate(f), f.HttpTitle, screenshot, s.FirstSeen,
            s.LastSeen, s.FirstScanId, s.LastScanId, s.GoneScanId);
    }

    private static IEnumerable<string?> AssetFields(AssetSummary a) =>
        [a.Ip, string.Join(' ', a.Hostnames), Time(a.FirstSeen), Time(a.LastSeen), Number(a.FirstScanId), Number(a.LastScanId), Number(a.Services),
            string.Join(' ', a.DnsNames)];

    private static IEnumerable<string?> ServiceFields(InventoryService s)
    {
        var f = s.Facts;
        return [f.Ip, Number(f.Port), f.Proto, f.Service, f.Product, f.Version, f.CertSubject, f.CertSha256, f.CertNotAfter is { } at ? Time(at) : null,
            f.HttpTitle, Time(s.FirstSeen), Time(s.LastSeen), Number(s.FirstScanId), Number(s.LastScanId), s.GoneScanId is { } gone ? Number(gone) : null];
    }

    private static string Time(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool IsIpv4(string text) =>
        text.Length <= 15 && IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetwork && text.AsSpan().Count('.') == 3;

    /// <summary>The cursor is the last address of the page, opaque to clients (base64url).</summary>
    private static string EncodeCursor(string ip) => Convert.ToBase64String(Encoding.UTF8.GetBytes(ip)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string? DecodeCursor(string cursor)
    {
        if (cursor.Length > 32) return null;
        var base64 = cursor.Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - base64.Length % 4) % 4);
        var bytes = new byte[24];
        if (!Convert.TryFromBase64String(base64, bytes, out var written)) return null;
        var ip = Encoding.UTF8.GetString(bytes, 0, written);
        return IsIpv4(ip) ? ip : null;
    }

    /// <summary>The exports are a 200 too, beside the JSON the typed result declares: rows as text.</summary>
    private static Task DescribeExports(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        operation.Responses ??= [];
        if (!operation.Responses.TryGetValue("200", out var ok) || ok is not OpenApiResponse response)
        {
            response = new OpenApiResponse { Description = "OK" };
            operation.Responses["200"] = response;
        }

        response.Content ??= new Dictionary<string, OpenApiMediaType>();
        response.Content[StreamedRows.CsvType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "CSV: a header line, then one row per line" } };
        response.Content[StreamedRows.NdjsonType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "one JSON object per line" } };
        return Task.CompletedTask;
    }
}
