using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Store.Records;

namespace Outpost.Appliance.Tests;

/// <summary>
/// Scan results over HTTP (docs/results.md): uploads are checked against the job's own targets and ports and capped
/// per job; the results read back as cursor pages and as streamed CSV and NDJSON exports of the same set; and the
/// daemon refuses to start on a missing or unreadable records database.
/// </summary>
public sealed class ResultsTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;

    private static object Batch(IEnumerable<(string Ip, int Port)> results) =>
        new { results = results.Select(r => new { ip = r.Ip, port = r.Port, proto = "tcp", state = "open", ttl = 64 }).ToArray() };

    private static async Task<(long ScanId, long JobId, string Key)> RunningJobAsync(Api api, string[] targets, string ports)
    {
        var (id, key) = await api.CreateScannerAsync("s1");
        var scanId = await api.CreateScanAsync(targets, [id], ports);
        var jobId = Api.JobIds(await api.ClaimAsync(key))[0];
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        return (scanId, jobId, key);
    }

    [Fact]
    public async Task A_batch_with_a_result_outside_the_jobs_targets_or_ports_is_refused_whole()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanId, jobId, key) = await RunningJobAsync(api, ["10.0.0.0/30"], "22,80");

        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", Batch([("10.0.0.1", 22), ("10.0.0.9", 22)]))).AssertError(400, "BAD_REQUEST");
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", Batch([("10.0.0.1", 22), ("10.0.0.2", 443)]))).AssertError(400, "BAD_REQUEST");
        Assert.Equal(0, (await api.AdminAsync(Get, $"/api/scans/{scanId}/results")).AssertOk().Json.GetProperty("results").GetArrayLength());

        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", Batch([("10.0.0.1", 22), ("10.0.0.3", 80)]))).AssertOk();
        Assert.Equal(2, (await api.AdminAsync(Get, $"/api/scans/{scanId}/results")).AssertOk().Json.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task A_batch_past_the_per_job_cap_is_refused_with_409_and_stores_nothing()
    {
        await using var daemon = await Daemon.StartAsync(new Dictionary<string, string?> { ["Outpost:Findings:MaxPerJob"] = "3" });
        var api = daemon.Api;
        var (scanId, jobId, key) = await RunningJobAsync(api, ["10.0.0.0/29"], "22");

        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", Batch([("10.0.0.1", 22), ("10.0.0.2", 22)]))).AssertOk();
        var refused = (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", Batch([("10.0.0.3", 22), ("10.0.0.4", 22)])))
            .AssertError(409, "FINDINGS_CAP_REACHED");
        Assert.Contains("MaxPerJob", refused.Json.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, (await api.AdminAsync(Get, $"/api/scans/{scanId}/results")).AssertOk().Json.GetProperty("results").GetArrayLength());
        // A repeat of what is stored adds nothing, so it is still accepted.
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", Batch([("10.0.0.1", 22)]))).AssertOk();
    }

    [Fact]
    public async Task Pages_walk_the_set_once_and_csv_and_ndjson_exports_parse_back_to_the_same_set()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanId, jobId, key) = await RunningJobAsync(api, ["10.0.0.0/27"], "1-40");
        var sent = new List<(string Ip, int Port)>();
        for (var host = 1; host <= 24; host++)
        {
            var batch = Enumerable.Range(1, 40).Select(port => ($"10.0.0.{host}", port)).ToList();
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", Batch(batch))).AssertOk();
            sent.AddRange(batch);
        }

        var expected = sent.OrderBy(f => f.Ip, StringComparer.Ordinal).ThenBy(f => f.Port).ToList();

        var paged = new List<(string, int)>();
        var path = $"/api/scans/{scanId}/results?limit=100";
        while (true)
        {
            var page = (await api.AdminAsync(Get, path)).AssertOk().Json;
            Assert.Equal(scanId, page.GetProperty("scanId").GetInt64());
            paged.AddRange(page.GetProperty("results").EnumerateArray().Select(r => (r.GetProperty("ip").GetString()!, r.GetProperty("port").GetInt32())));
            if (page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null) break;
            path = $"/api/scans/{scanId}/results?limit=100&cursor={Uri.EscapeDataString(page.GetProperty("nextCursor").GetString()!)}";
        }

        Assert.Equal(expected, paged);

        var csv = (await api.AdminAsync(Get, $"/api/scans/{scanId}/results?format=csv")).AssertOk();
        Assert.Equal("text/csv", csv.ContentHeaders!.ContentType!.MediaType);
        var lines = csv.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("ip,port,proto,state,ttl,jobId,seenAt", lines[0]);
        var fromCsv = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(expected, fromCsv.Select(f => (f[0], int.Parse(f[1], CultureInfo.InvariantCulture))));
        Assert.All(fromCsv, f => Assert.Equal(("tcp", "open", "64", jobId.ToString(CultureInfo.InvariantCulture)), (f[2], f[3], f[4], f[5])));
        Assert.All(fromCsv, f => Assert.Equal(daemon.Clock.GetUtcNow(), DateTimeOffset.Parse(f[6], CultureInfo.InvariantCulture)));

        var ndjson = (await api.AdminAsync(Get, $"/api/scans/{scanId}/results?format=ndjson")).AssertOk();
        Assert.Equal("application/x-ndjson", ndjson.ContentHeaders!.ContentType!.MediaType);
        var fromNdjson = ndjson.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(expected, fromNdjson.Select(r => (r.GetProperty("ip").GetString()!, r.GetProperty("port").GetInt32())));
        Assert.All(fromNdjson, r => Assert.Equal(jobId, r.GetProperty("jobId").GetInt64()));

        foreach (var bad in new[] { "limit=0", "limit=10001", "cursor=bm9wZQ", "format=csv&cursor=" + Uri.EscapeDataString(paged.Count.ToString(CultureInfo.InvariantCulture)) })
        {
            (await api.AdminAsync(Get, $"/api/scans/{scanId}/results?{bad}")).AssertError(400, "BAD_REQUEST");
        }
    }

    [Fact]
    public async Task Retention_removes_the_findings_and_typed_results_of_the_scans_it_removes()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanner, key) = await api.CreateScannerAsync("s1");
        async Task<long> FinishedScanWithFindingsAsync(string target)
        {
            var scanId = await api.CreateScanAsync([target], [scanner], "22");
            var jobId = Api.JobIds(await api.ClaimAsync(key))[0];
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", Batch([(target, 22)]))).AssertOk();
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed", resultCount = 1 })).AssertOk();
            return scanId;
        }

        var old = await FinishedScanWithFindingsAsync("10.0.0.1");
        daemon.Clock.Advance(TimeSpan.FromDays(29));
        var recent = await FinishedScanWithFindingsAsync("10.0.0.3");
        var typed = daemon.Service<Outpost.Store.Records.Capabilities.CapabilityResults>();
        foreach (var (scanId, ip) in new[] { (old, "10.0.0.1"), (recent, "10.0.0.3") })
        {
            await typed.PutServicesAsync(scanId, 1, [new(ip, 22, "ssh", "OpenSSH", "9.6", "{}")], daemon.Clock.GetUtcNow());
            await typed.PutPagesAsync(scanId, 1, [new($"http://{ip}/", ip, 80, 0, 200, "home", "text/html", "[]", null)], daemon.Clock.GetUtcNow());
            await typed.PutScreenshotAsync(scanId, 1, ip, 80, $"http://{ip}/", [0x89, 0x50, 0x4E, 0x47], daemon.Clock.GetUtcNow());
        }

        daemon.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await daemon.Service<Outpost.Appliance.Scheduling.Retention>().PruneAsync());

        Assert.Empty(await typed.ListServicesAsync(old));
        Assert.Empty(await typed.ListPagesAsync(old));
        Assert.Empty(await typed.ListScreenshotsAsync(old));
        Assert.Single(await typed.ListServicesAsync(recent));
        Assert.Single(await typed.ListPagesAsync(recent));
        Assert.Single(await typed.ListScreenshotsAsync(recent));

        var findings = daemon.Service<Outpost.Store.Records.Findings.FindingsTable>();
        Assert.Empty((await findings.PageAsync(old, null, 10)).Findings);
        Assert.Single((await findings.PageAsync(recent, null, 10)).Findings);
        Assert.Single((await api.AdminAsync(Get, $"/api/scans/{recent}/results")).AssertOk().Json.GetProperty("results").EnumerateArray());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_pages_and_the_exports()
    {
        await using var daemon = await Daemon.StartAsync();
        var openApi = (await daemon.Api.AdminAsync(Get, "/openapi/v1.json")).AssertOk().Json;
        var results = openApi.GetProperty("paths").GetProperty("/api/scans/{id}/results").GetProperty("get");
        var parameters = results.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Subset(new HashSet<string?> { "id", "format", "cursor", "limit" }, parameters.ToHashSet());
        var content = results.GetProperty("responses").GetProperty("200").GetProperty("content");
        foreach (var type in new[] { "application/json", "text/csv", "application/x-ndjson" })
        {
            Assert.True(content.EnumerateObject().Any(c => c.Name.StartsWith(type, StringComparison.Ordinal)), $"200 has no {type}: {content}");
        }

        Assert.True(openApi.GetProperty("components").GetProperty("schemas").GetProperty("ScanResultsResponse").GetProperty("properties").TryGetProperty("nextCursor", out _));
    }

    [Fact]
    public async Task The_daemon_refuses_to_start_on_a_missing_or_unreadable_records_database_naming_it()
    {
        using var directory = new TempDirectory();
        var records = Path.Combine(directory.Path, "data", RecordsDatabase.FileName);
        await using (var first = Build(directory))
        {
            await first.StartAsync();
            await first.StopAsync();
        }

        Assert.True(File.Exists(records));
        File.Move(records, records + ".aside");
        await using (var missing = Build(directory))
        {
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => missing.StartAsync());
            Assert.Contains(records, error.Message, StringComparison.Ordinal);
            Assert.Contains("missing", error.Message, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(records), "a missing records database was created anew over an existing store");
        await File.WriteAllBytesAsync(records, [.. Enumerable.Repeat((byte)0x42, 16384)]);
        await using (var damaged = Build(directory))
        {
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => damaged.StartAsync());
            Assert.Contains(records, error.Message, StringComparison.Ordinal);
        }

        // Putting the file back is the way out.
        File.Move(records + ".aside", records, overwrite: true);
        await using var restored = Build(directory);
        await restored.StartAsync();
        await restored.StopAsync();
    }

    [Fact]
    public async Task The_findings_of_a_data_directory_from_before_the_records_database_show_in_the_results_after_the_upgrade()
    {
        using var directory = new TempDirectory();
        var data = Path.Combine(directory.Path, "data");
        long scanId, jobId;
        await using (var before = Build(directory))
        {
            await before.StartAsync();
            using (var api = new Api(new Uri(before.Urls.First())))
            {
                string key;
                (scanId, jobId, key) = await RunningJobAsync(api, ["10.0.0.0/30"], "22,80");
                (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertOk();
                Assert.Equal("completed", (await api.ScanAsync(scanId)).GetProperty("status").GetString());
            }

            await before.StopAsync();
        }

        // That version's shape: findings in the job store's checkpoint catalog (web JSON of StoredFinding), no records.db.
        var store = Path.Combine(data, "store");
        var catalogPath = Path.Combine(store, JsonNode.Parse(File.ReadAllText(Path.Combine(store, "manifest.json")))!["CatalogFile"]!.GetValue<string>());
        var catalog = JsonNode.Parse(File.ReadAllText(catalogPath))!.AsObject();
        catalog["findings"] = JsonNode.Parse($$"""
            [{"scanId":{{scanId}},"jobId":{{jobId}},"finding":{"ip":"10.0.0.2","port":80,"proto":"tcp","state":"open","ttl":64},"seenAt":"2026-11-20T10:00:00+00:00"},
             {"scanId":{{scanId}},"jobId":{{jobId}},"finding":{"ip":"10.0.0.1","port":22,"proto":"tcp","state":"closed","ttl":null},"seenAt":"2026-11-20T10:00:01+00:00"}]
            """);
        File.WriteAllText(catalogPath, catalog.ToJsonString());
        foreach (var file in new[] { RecordsDatabase.FileName, RecordsDatabase.FileName + "-wal", RecordsDatabase.FileName + "-shm", RecordsDatabase.MarkerName })
        {
            File.Delete(Path.Combine(data, file));
        }

        await using var after = Build(directory);
        await after.StartAsync();
        using (var api = new Api(new Uri(after.Urls.First())))
        {
            var results = (await api.AdminAsync(Get, $"/api/scans/{scanId}/results")).AssertOk().Json.GetProperty("results").EnumerateArray()
                .Select(r => (r.GetProperty("ip").GetString(), r.GetProperty("port").GetInt32(), r.GetProperty("state").GetString(), r.GetProperty("jobId").GetInt64()))
                .ToList();
            Assert.Equal([("10.0.0.1", 22, "closed", jobId), ("10.0.0.2", 80, "open", jobId)], results);
            // Imported as a run already processed and told: it shows its final status, not "processing".
            Assert.Equal("completed", (await api.ScanAsync(scanId)).GetProperty("status").GetString());
        }

        await after.StopAsync();
    }

    private static WebApplication Build(TempDirectory directory) =>
        OutpostApp.Build(new StartupArguments(Path.Combine(directory.Path, "data"), "http://127.0.0.1:0", directory.WriteTestConfig()),
            FasterStoreOpener.OpenAsync, builder => builder.Configuration[AdminToken.EnvironmentVariable] = Daemon.AdminToken);
}
