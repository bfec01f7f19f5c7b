using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Capabilities;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Store;
using Outpost.Store.Records.Capabilities;

namespace Outpost.Appliance.Admin;

/// <summary>
/// A scan's typed results (docs/capabilities.md), beside its open ports: the services its fingerprint jobs
/// identified (with their TLS certificates and HTTP facts) and the screenshots of its screenshot jobs, per
/// (address, port); the pages its crawler jobs fetched; and each screenshot's PNG.
/// </summary>
public static class CapabilityResultsAdmin
{
    public static void MapCapabilityResultsAdmin(this RouteGroupBuilder api)
    {
        var scans = api.MapGroup("/scans").WithTags("Scans");
        scans.MapGet("/{id:long}/services", ServicesAsync);
        scans.MapGet("/{id:long}/pages", PagesAsync);
        scans.MapGet("/{id:long}/screenshots/{ip}/{port:int}", ScreenshotAsync).Produces(StatusCodes.Status200OK, contentType: "image/png");
    }

    private static async Task<Results<Ok<ScanServicesResponse>, NotFoundError>> ServicesAsync(long id, IOutpostStore store, CapabilityResults results,
        CancellationToken ct)
    {
        if (store.GetScan(id) is null)
        {
            return NotFound(id);
        }

        var services = await results.ListServicesAsync(id, ct);
        var shots = await results.ListScreenshotsAsync(id, ct);
        return TypedResults.Ok(new ScanServicesResponse(id,
            [.. services.Select(s => new ServiceResponse(CapabilityUploads.Complete(FingerprintJson.Deserialize(s.Record.Facts)!), s.JobId, s.SeenAt))],
            [.. shots.Select(s => new ScreenshotResponse(s.Ip, s.Port, s.Url, s.Bytes, s.JobId, s.SeenAt, $"/api/scans/{id}/screenshots/{s.Ip}/{s.Port}"))]));
    }

    private static async Task<Results<Ok<ScanPagesResponse>, NotFoundError>> PagesAsync(long id, IOutpostStore store, CapabilityResults results, CancellationToken ct)
    {
        if (store.GetScan(id) is null)
        {
            return NotFound(id);
        }

        var pages = await results.ListPagesAsync(id, ct);
        return TypedResults.Ok(new ScanPagesResponse(id, [.. pages.Select(p => new PageResponse(p.Record.Url, p.Record.Ip, p.Record.Port, p.Record.Depth,
            p.Record.Status, p.Record.Title, p.Record.ContentType, CapabilityUploads.DeserializeForms(p.Record.Forms), p.Record.Error, p.JobId, p.SeenAt))]));
    }

    private static async Task<Results<FileContentHttpResult, NotFoundError>> ScreenshotAsync(long id, string ip, int port, CapabilityResults results,
        CancellationToken ct) =>
        await results.ReadScreenshotAsync(id, ip, port, ct) is { } png
            ? TypedResults.File(png, "image/png")
            : new NotFoundError($"Scan {id} has no screenshot of {ip}:{port}.");

    private static NotFoundError NotFound(long id) => new($"Scan {id} does not exist.");
}
