using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Outpost.Appliance.Admin;

/// <summary>
/// Writing an export to the response as its rows come (docs/results.md, docs/inventory.md): NDJSON (one JSON object a
/// line) and CSV, flushed every <see cref="FlushBytes"/>, so an export of millions of rows holds one chunk in memory.
/// </summary>
public static class StreamedRows
{
    public const string CsvType = "text/csv; charset=utf-8";
    public const string NdjsonType = "application/x-ndjson";

    /// <summary>The response is flushed each time this much is buffered.</summary>
    private const int FlushBytes = 64 * 1024;

    public static async Task WriteNdjsonAsync<T>(Stream body, IAsyncEnumerable<T> rows, JsonTypeInfo<T> type)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushBytes + 1024);
        await using var json = new Utf8JsonWriter(buffer);
        await foreach (var row in rows)
        {
            JsonSerializer.Serialize(json, row, type);
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

    /// <summary>Writes <paramref name="header"/>, then each row's fields as a CSV line (RFC 4180 quoting where a field needs it).</summary>
    public static async Task WriteCsvAsync<T>(Stream body, string header, IAsyncEnumerable<T> rows, Func<T, IEnumerable<string?>> fields)
    {
        await using var writer = new StreamWriter(body, new UTF8Encoding(false), FlushBytes, leaveOpen: true);
        await writer.WriteAsync(header + "\n");
        var line = new StringBuilder();
        await foreach (var row in rows)
        {
            line.Clear();
            var first = true;
            foreach (var field in fields(row))
            {
                if (!first) line.Append(',');
                first = false;
                Append(line, field);
            }

            await writer.WriteAsync(line.Append('\n'));
        }
    }

    private static void Append(StringBuilder line, string? field)
    {
        if (string.IsNullOrEmpty(field)) return;
        if (field.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            line.Append(field);
            return;
        }

        line.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
