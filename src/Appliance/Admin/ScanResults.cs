using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Inventory;
using Outpost.Store;
using Outpost.Store.Model;
using Outpost.Store.Records;
using Outpost.Store.Records.Findings;
using Outpost.Store.Records.Inventory;

namespace Outpost.Appliance.Admin;

/// <summary>
/// <c>GET /api/scans/{id}/results</c> (docs/results.md): JSON pages (<c>?cursor=&amp;limit=</c>) for the UI and
/// scripts, and the whole set as CSV or NDJSON, written to the response row by row as the records database yields them
/// a chunk at a time, so an export of millions of findings holds one chunk in memory, never the set.
/// </summary>
public static class ScanResults
{
    public const string CsvType = StreamedRows.CsvType;
    public const string NdjsonType = StreamedRows.NdjsonType;
    /// <summary>The scan as nmap XML (docs/inventory.md, "Exports"), for tools that import nmap's output.</summary>
    public const string NmapFormat = "nmap-xml";

    public const int DefaultLimit = 1_000;
    public const int MaxLimit = 10_000;

    /// <summary>The response is flushed each time this much is buffered.</summary>
    private const int FlushBytes = 64 * 1024;

    public static async Task<Results<Ok<ScanResultsResponse>, PushStreamHttpResult, BadRequestError, NotFoundError>> GetAsync(long id, string? format,
        string? cursor, int? limit, IOutpostStore store, FindingsTable findings, RecordsDatabase records, CancellationToken ct)
    {
        var inventory = new InventoryQueries(records);

        async Task<AssetSummary?> AssetAsync(string ip) => (await inventory.GetAssetAsync(ip, ct))?.Asset;

        if (format is not (null or "json" or "csv" or "ndjson" or NmapFormat))
        {
            return new BadRequestError($"format must be json, csv, ndjson or {NmapFormat}.");
        }

        if (limit is < 1 or > MaxLimit)
        {
            return new BadRequestError($"limit must be from 1 to {MaxLimit}.");
        }

        FindingsCursor? after = null;
        if (cursor is { Length: > 0 })
        {
            if (format is "csv" or "ndjson" or NmapFormat)
            {
                return new BadRequestError($"cursor pages the JSON format; csv, ndjson and {NmapFormat} export the whole set.");
            }

            if (!FindingsCursor.TryDecode(cursor, out var decoded))
            {
                return new BadRequestError("cursor is not one this endpoint returned.");
            }

            after = decoded;
        }

        if (store.GetScan(id) is not { } scan)
        {
            return new NotFoundError($"Scan {id} does not exist.");
        }

        return format switch
        {
            "csv" => TypedResults.Stream(body => WriteCsvAsync(body, findings.ExportAsync(id, ct)), CsvType, $"scan-{id}-results.csv"),
            "ndjson" => TypedResults.Stream(body => WriteNdjsonAsync(body, findings.ExportAsync(id, ct)), NdjsonType, $"scan-{id}-results.ndjson"),
            NmapFormat => TypedResults.Stream(body => NmapXml.WriteAsync(body, scan, inventory.ExportScanAsync(id, ct), AssetAsync), NmapXml.ContentType,
                $"scan-{id}-results.xml"),
            _ => TypedResults.Ok(await PageAsync(id, after, limit ?? DefaultLimit, findings, ct)),
        };
    }

    /// <summary>The exports are a 200 too, beside the JSON page the typed result already declares: rows as text.</summary>
    public static Task DescribeExports(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse { Content: { } content })
        {
            content[CsvType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "CSV: a header line, then one finding per line" } };
            content[NdjsonType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "one FindingResponse object per line" } };
            content[NmapXml.ContentType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "nmap XML (format=nmap-xml)" } };
        }

        return Task.CompletedTask;
    }

    private static async Task<ScanResultsResponse> PageAsync(long id, FindingsCursor? after, int limit, FindingsTable findings, CancellationToken ct)
    {
        var page = await findings.PageAsync(id, after, limit, ct);
        var results = new FindingResponse[page.Findings.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = ToResponse(page.Findings[i]);
        }

        return new ScanResultsResponse(id, results, page.NextCursor);
    }

    private static FindingResponse ToResponse(StoredFinding f) =>
        new(f.Finding.Ip, f.Finding.Port, f.Finding.Proto, f.Finding.State, f.Finding.Ttl, f.JobId, f.SeenAt);

    /// <summary>Writes the CSV export of <paramref name="rows"/> (header line first) to <paramref name="body"/> as they come.</summary>
    public static async Task WriteCsvAsync(Stream body, IAsyncEnumerable<StoredFinding> rows)
    {
        // Every field is a validated address, number or keyword: nothing needs quoting.
        await using var writer = new StreamWriter(body, new UTF8Encoding(false), FlushBytes, leaveOpen: true);
        await writer.WriteAsync("ip,port,proto,state,ttl,jobId,seenAt\n");
        await foreach (var f in rows)
        {
            writer.Write(string.Create(CultureInfo.InvariantCulture,
                $"{f.Finding.Ip},{f.Finding.Port},{f.Finding.Proto},{f.Finding.State},{f.Finding.Ttl},{f.JobId},{f.SeenAt:O}\n"));
        }
    }

    /// <summary>Writes the NDJSON export of <paramref name="rows"/> (one finding per line) to <paramref name="body"/> as they come.</summary>
    public static Task WriteNdjsonAsync(Stream body, IAsyncEnumerable<StoredFinding> rows) =>
        StreamedRows.WriteNdjsonAsync(body, rows.Select(ToResponse), OutpostJsonContext.Default.FindingResponse);
}
