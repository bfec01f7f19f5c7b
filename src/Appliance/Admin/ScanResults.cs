using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Store;
using Outpost.Store.Model;
using Outpost.Store.Records.Findings;

namespace Outpost.Appliance.Admin;

/// <summary>
/// <c>GET /api/scans/{id}/results</c> (docs/results.md): JSON pages (<c>?cursor=&amp;limit=</c>) for the UI and
/// scripts, and the whole set as CSV or NDJSON, written to the response row by row as the records database yields them
/// a chunk at a time, so an export of millions of findings holds one chunk in memory, never the set.
/// </summary>
public static class ScanResults
{
    public const string CsvType = "text/csv; charset=utf-8";
    public const string NdjsonType = "application/x-ndjson";
    public const int DefaultLimit = 1_000;
    public const int MaxLimit = 10_000;

    /// <summary>The response is flushed each time this much is buffered.</summary>
    private const int FlushBytes = 64 * 1024;

    public static async Task<Results<Ok<ScanResultsResponse>, PushStreamHttpResult, BadRequestError, NotFoundError>> GetAsync(long id, string? format,
        string? cursor, int? limit, IOutpostStore store, FindingsTable findings, CancellationToken ct)
    {
        if (format is not (null or "json" or "csv" or "ndjson"))
        {
            return new BadRequestError("format must be json, csv or ndjson.");
        }

        if (limit is < 1 or > MaxLimit)
        {
            return new BadRequestError($"limit must be from 1 to {MaxLimit}.");
        }

        FindingsCursor? after = null;
        if (cursor is { Length: > 0 })
        {
            if (format is "csv" or "ndjson")
            {
                return new BadRequestError("cursor pages the JSON format; csv and ndjson export the whole set.");
            }

            if (!FindingsCursor.TryDecode(cursor, out var decoded))
            {
                return new BadRequestError("cursor is not one this endpoint returned.");
            }

            after = decoded;
        }

        if (store.GetScan(id) is null)
        {
            return new NotFoundError($"Scan {id} does not exist.");
        }

        return format switch
        {
            "csv" => TypedResults.Stream(body => WriteCsvAsync(body, findings.ExportAsync(id, ct)), CsvType, $"scan-{id}-results.csv"),
            "ndjson" => TypedResults.Stream(body => WriteNdjsonAsync(body, findings.ExportAsync(id, ct)), NdjsonType, $"scan-{id}-results.ndjson"),
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
    public static async Task WriteNdjsonAsync(Stream body, IAsyncEnumerable<StoredFinding> rows)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushBytes + 1024);
        await using var json = new Utf8JsonWriter(buffer);
        await foreach (var f in rows)
        {
            JsonSerializer.Serialize(json, ToResponse(f), OutpostJsonContext.Default.FindingResponse);
            json.Reset();
            buffer.Write("\n"u8);
            if (buffer.WrittenCount >= FlushBytes)
            {
                await body.WriteAsync(buffer.WrittenMemory);
                buffer.ResetWrittenCount();
            }
        }

        await body.WriteAsync(buffer.WrittenMemory);
    }
}
