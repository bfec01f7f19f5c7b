using System.Data.Common;

namespace Outpost.Store.Records.Capabilities;

/// <summary>A service a fingerprint job identified; <see cref="Facts"/> is its whole record as JSON (TLS, HTTP, CPE, banner).</summary>
public sealed record ServiceRecord(string Ip, int Port, string Service, string? Product, string? Version, string Facts);

/// <summary>A page a crawler job fetched; <see cref="Forms"/> is its forms as JSON.</summary>
public sealed record PageRecord(string Url, string Ip, int Port, int Depth, int Status, string? Title, string? ContentType, string Forms, string? Error);

/// <summary>A screenshot's metadata (the PNG is read on its own, <see cref="CapabilityResults.ReadScreenshotAsync"/>).</summary>
public sealed record ScreenshotRecord(string Ip, int Port, string Url, int Bytes, long JobId, DateTimeOffset SeenAt);

/// <summary>A stored row with the job that reported it and when.</summary>
public sealed record Stored<T>(T Record, long JobId, DateTimeOffset SeenAt);

/// <summary>
/// The capabilities' typed results in the records database (docs/capabilities.md): written as scanners upload them,
/// read by a scan's results page. Each write is one durable transaction; a repeat replaces what it repeats.
/// </summary>
public sealed class CapabilityResults(RecordsDatabase database)
{
    public Task PutServicesAsync(long scanId, long jobId, IReadOnlyList<ServiceRecord> services, DateTimeOffset now, CancellationToken ct = default) =>
        database.WriteAsync(async (connection, transaction, token) =>
        {
            foreach (var s in services)
            {
                await using var command = connection.Command("""
                    INSERT INTO scan_services (scan_id, ip, port, job_id, service, product, version, facts, seen_at)
                    VALUES (@scan, @ip, @port, @job, @service, @product, @version, @facts, @seen)
                    ON CONFLICT (scan_id, ip, port) DO UPDATE SET job_id = excluded.job_id, service = excluded.service, product = excluded.product,
                        version = excluded.version, facts = excluded.facts, seen_at = excluded.seen_at
                    """, transaction)
                    .With("scan", scanId).With("ip", s.Ip).With("port", s.Port).With("job", jobId).With("service", s.Service)
                    .With("product", s.Product).With("version", s.Version).With("facts", s.Facts).With("seen", RecordsCommands.Microseconds(now));
                await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            return (true, services.Count);
        }, ct);

    public Task PutPagesAsync(long scanId, long jobId, IReadOnlyList<PageRecord> pages, DateTimeOffset now, CancellationToken ct = default) =>
        database.WriteAsync(async (connection, transaction, token) =>
        {
            foreach (var p in pages)
            {
                await using var command = connection.Command("""
                    INSERT INTO scan_pages (scan_id, url, ip, port, job_id, depth, status, title, content_type, forms, error, seen_at)
                    VALUES (@scan, @url, @ip, @port, @job, @depth, @status, @title, @type, @forms, @error, @seen)
                    ON CONFLICT (scan_id, url) DO UPDATE SET ip = excluded.ip, port = excluded.port, job_id = excluded.job_id, depth = excluded.depth,
                        status = excluded.status, title = excluded.title, content_type = excluded.content_type, forms = excluded.forms,
                        error = excluded.error, seen_at = excluded.seen_at
                    """, transaction)
                    .With("scan", scanId).With("url", p.Url).With("ip", p.Ip).With("port", p.Port).With("job", jobId).With("depth", p.Depth)
                    .With("status", p.Status).With("title", p.Title).With("type", p.ContentType).With("forms", p.Forms).With("error", p.Error)
                    .With("seen", RecordsCommands.Microseconds(now));
                await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            return (true, pages.Count);
        }, ct);

    public Task PutScreenshotAsync(long scanId, long jobId, string ip, int port, string url, byte[] png, DateTimeOffset now, CancellationToken ct = default) =>
        database.WriteAsync(async (connection, transaction, token) =>
        {
            await using var command = connection.Command("""
                INSERT INTO scan_screenshots (scan_id, ip, port, url, job_id, png, seen_at) VALUES (@scan, @ip, @port, @url, @job, @png, @seen)
                ON CONFLICT (scan_id, ip, port) DO UPDATE SET url = excluded.url, job_id = excluded.job_id, png = excluded.png, seen_at = excluded.seen_at
                """, transaction)
                .With("scan", scanId).With("ip", ip).With("port", port).With("url", url).With("job", jobId).With("png", png)
                .With("seen", RecordsCommands.Microseconds(now));
            await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return (true, 1);
        }, ct);

    public Task<List<Stored<ServiceRecord>>> ListServicesAsync(long scanId, CancellationToken ct = default) =>
        database.ReadAsync(async (connection, token) =>
        {
            await using var command = connection.Command(
                "SELECT ip, port, service, product, version, facts, job_id, seen_at FROM scan_services WHERE scan_id = @scan ORDER BY ip, port").With("scan", scanId);
            return await command.ReadAllAsync(r => new Stored<ServiceRecord>(
                new ServiceRecord(r.GetString(0), r.GetInt32(1), r.GetString(2), NullableText(r, 3), NullableText(r, 4), r.GetString(5)),
                r.GetInt64(6), RecordsCommands.Time(r.GetInt64(7))), token).ConfigureAwait(false);
        }, ct);

    public Task<List<Stored<PageRecord>>> ListPagesAsync(long scanId, CancellationToken ct = default) =>
        database.ReadAsync(async (connection, token) =>
        {
            await using var command = connection.Command(
                "SELECT url, ip, port, depth, status, title, content_type, forms, error, job_id, seen_at FROM scan_pages WHERE scan_id = @scan ORDER BY ip, port, depth, url")
                .With("scan", scanId);
            return await command.ReadAllAsync(r => new Stored<PageRecord>(
                new PageRecord(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), NullableText(r, 5), NullableText(r, 6), r.GetString(7),
                    NullableText(r, 8)),
                r.GetInt64(9), RecordsCommands.Time(r.GetInt64(10))), token).ConfigureAwait(false);
        }, ct);

    public Task<List<ScreenshotRecord>> ListScreenshotsAsync(long scanId, CancellationToken ct = default) =>
        database.ReadAsync(async (connection, token) =>
        {
            await using var command = connection.Command(
                "SELECT ip, port, url, length(png), job_id, seen_at FROM scan_screenshots WHERE scan_id = @scan ORDER BY ip, port").With("scan", scanId);
            return await command.ReadAllAsync(r => new ScreenshotRecord(r.GetString(0), r.GetInt32(1), r.GetString(2), Convert.ToInt32(r.GetValue(3),
                System.Globalization.CultureInfo.InvariantCulture), r.GetInt64(4), RecordsCommands.Time(r.GetInt64(5))), token).ConfigureAwait(false);
        }, ct);

    /// <summary>The PNG of the screenshot of (<paramref name="ip"/>, <paramref name="port"/>) in the scan, or null.</summary>
    public Task<byte[]?> ReadScreenshotAsync(long scanId, string ip, int port, CancellationToken ct = default) =>
        database.ReadAsync(async (connection, token) =>
        {
            await using var command = connection.Command("SELECT png FROM scan_screenshots WHERE scan_id = @scan AND ip = @ip AND port = @port")
                .With("scan", scanId).With("ip", ip).With("port", port);
            return await command.ExecuteScalarAsync(token).ConfigureAwait(false) as byte[];
        }, ct);

    /// <summary>
    /// Removes the services, pages and screenshots of every scan <paramref name="scanExists"/> says is gone; returns
    /// the rows removed. Retention calls it in the same pass as the findings' sweep (docs/capabilities.md, "Retention"),
    /// so results a crash left behind after an earlier pass go at the next one. A scan's rows go in one transaction.
    /// </summary>
    public async Task<long> RemoveGoneScansAsync(Func<long, bool> scanExists, CancellationToken ct = default)
    {
        var scans = await database.ReadAsync(async (connection, token) =>
        {
            await using var select = connection.Command(
                "SELECT scan_id FROM scan_services UNION SELECT scan_id FROM scan_pages UNION SELECT scan_id FROM scan_screenshots");
            return await select.ReadAllAsync(reader => reader.GetInt64(0), token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

        long removed = 0;
        foreach (var scanId in scans.Where(id => !scanExists(id)))
        {
            removed += await database.WriteAsync(async (connection, transaction, token) =>
            {
                var rows = 0;
                foreach (var table in (string[])["scan_services", "scan_pages", "scan_screenshots"])
                {
                    await using var delete = connection.Command($"DELETE FROM {table} WHERE scan_id = @scan", transaction).With("@scan", scanId);
                    rows += await delete.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }

                return (true, rows);
            }, ct).ConfigureAwait(false);
        }

        return removed;
    }

    private static string? NullableText(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

}
