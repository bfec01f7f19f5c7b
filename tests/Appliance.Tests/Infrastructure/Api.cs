using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Outpost.Appliance.Tests.Infrastructure;

/// <summary>One HTTP reply, read in full.</summary>
public sealed record Reply(HttpStatusCode Status, string Body, HttpResponseHeaders Headers, HttpContentHeaders? ContentHeaders)
{
    public int Code => (int)Status;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>Asserts the status and the error shape of docs/errors.md with this code.</summary>
    public Reply AssertError(int status, string code)
    {
        Assert.True(Code == status, $"expected {status} {code}, got {Code}: {Body}");
        var error = Json.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        return this;
    }

    public Reply AssertOk(int status = 200)
    {
        Assert.True(Code == status, $"expected {status}, got {Code}: {Body}");
        return this;
    }
}

/// <summary>A client of one daemon over real HTTP: admin calls with the bearer token, scanner calls with a key.</summary>
public sealed class Api : IDisposable
{
    public Api(Uri baseAddress)
    {
        Http = new HttpClient(new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = 256 }) { BaseAddress = baseAddress };
    }

    public HttpClient Http { get; }

    public static string Serialize(object? body) => body as string ?? JsonSerializer.Serialize(body, JsonSerializerOptions.Web);

    public Task<Reply> AdminAsync(HttpMethod method, string path, object? body = null) =>
        SendAsync(method, path, body, r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Daemon.AdminToken));

    public Task<Reply> ScannerAsync(string key, HttpMethod method, string path, object? body = null) =>
        SendAsync(method, path, body, r => r.Headers.Add("X-API-Key", key));

    public async Task<Reply> SendAsync(HttpMethod method, string path, object? body, Action<HttpRequestMessage>? prepare = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(Serialize(body), Encoding.UTF8, "application/json");
        }

        prepare?.Invoke(request);
        using var response = await Http.SendAsync(request);
        return new Reply(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers, response.Content.Headers);
    }

    public async Task<(long Id, string Key)> CreateScannerAsync(string name, string[]? allowedCidrs = null, int? maxProbesPerSecond = null)
    {
        var reply = (await AdminAsync(HttpMethod.Post, "/api/scanners", new { name, allowedCidrs, maxProbesPerSecond })).AssertOk(201);
        return (reply.Json.GetProperty("id").GetInt64(), reply.Json.GetProperty("apiKey").GetString()!);
    }

    public async Task<long> CreateScanAsync(string[] targets, long[] scannerIds, string ports = "22,80", int? maxProbesPerSecond = null, string name = "scan")
    {
        var reply = (await AdminAsync(HttpMethod.Post, "/api/scans", new { name, targets, ports, scannerIds, maxProbesPerSecond })).AssertOk(201);
        return reply.Json.GetProperty("id").GetInt64();
    }

    /// <summary>Claims with a raw limit text (null: no limit parameter) and returns the reply.</summary>
    public Task<Reply> ClaimAsync(string key, string? limit = null) =>
        ScannerAsync(key, HttpMethod.Get, limit is null ? "/scanner/jobs" : "/scanner/jobs?limit=" + Uri.EscapeDataString(limit));

    public static long[] JobIds(Reply claim) =>
        [.. claim.AssertOk().Json.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("jobId").GetInt64())];

    public async Task<JsonElement> JobAsync(long jobId) => (await AdminAsync(HttpMethod.Get, $"/api/jobs/{jobId}")).AssertOk().Json;

    public async Task<JsonElement> ScanAsync(long scanId) => (await AdminAsync(HttpMethod.Get, $"/api/scans/{scanId}")).AssertOk().Json;

    /// <summary>
    /// The scan once it is past <c>processing</c>. A small scan is processed as its last job is acknowledged, unless the
    /// processing loop's own pass is under way at that moment: then that pass picks it up a moment later.
    /// </summary>
    public async Task<JsonElement> ProcessedScanAsync(long scanId)
    {
        var giveUp = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var scan = await ScanAsync(scanId);
            if (scan.GetProperty("status").GetString() != "processing" || DateTime.UtcNow > giveUp) return scan;
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Everything an admin can see, as text: scanners, scans, all jobs, alarms, settings, scheduler. Two snapshots are
    /// equal exactly when a request changed nothing visible.
    /// </summary>
    public async Task<string> SnapshotAsync()
    {
        var parts = new List<string>();
        foreach (var path in new[] { "/api/scanners", "/api/scans", "/api/jobs?since=2000-01-01T00:00:00Z&limit=1000", "/api/alarms", "/api/settings/scan", "/api/scheduler" })
        {
            parts.Add((await AdminAsync(HttpMethod.Get, path)).AssertOk().Body);
        }

        return string.Join('\n', parts);
    }

    public void Dispose() => Http.Dispose();
}
