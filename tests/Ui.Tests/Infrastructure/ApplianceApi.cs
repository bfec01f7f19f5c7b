using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Outpost.Ui.Tests.Infrastructure;

/// <summary>
/// Talks to the daemon the way automation and scanner nodes do: the admin API with the bearer
/// token, the scanner job protocol with a scanner's X-API-Key. Used to seed data and to check
/// what the UI did. Every call asserts its status, so a broken seed fails loudly.
/// </summary>
public sealed class ApplianceApi : IDisposable
{
    private readonly HttpClient _http;

    public ApplianceApi(Uri baseUri, string adminToken)
    {
        _http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(15) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A created scanner: its id as the API returned it (number or string) and its one-time key.</summary>
    public sealed record ScannerInfo(JsonNode Id, string Name, string ApiKey);

    public async Task<ScannerInfo> CreateScannerAsync(string name)
    {
        var json = await SendAsync(HttpMethod.Post, "/api/scanners", new JsonObject { ["name"] = name }, HttpStatusCode.Created);
        var key = json["apiKey"]?.GetValue<string>() ?? throw new InvalidOperationException($"POST /api/scanners returned no apiKey: {json.ToJsonString()}");
        return new ScannerInfo(json["id"]!.DeepClone(), name, key);
    }

    public async Task<JsonNode> CreateScanAsync(string name, string[] targets, string ports, IEnumerable<ScannerInfo> scanners, JsonObject? schedule = null)
    {
        var body = new JsonObject
        {
            ["name"] = name,
            ["targets"] = new JsonArray(targets.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
            ["ports"] = ports,
            ["scannerIds"] = new JsonArray(scanners.Select(s => s.Id.DeepClone()).ToArray()),
        };
        if (schedule is not null)
        {
            body["schedule"] = schedule;
        }

        return await SendAsync(HttpMethod.Post, "/api/scans", body, HttpStatusCode.Created);
    }

    public Task<JsonNode> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null, HttpStatusCode.OK);

    public Task<JsonNode> PutAsync(string path, JsonNode body) => SendAsync(HttpMethod.Put, path, body, HttpStatusCode.OK);

    public async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode? body, HttpStatusCode expected, string? apiKey = null)
    {
        using var req = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            req.Content = JsonContent.Create(body);
        }

        if (apiKey is not null)
        {
            req.Headers.Authorization = null;
            req.Headers.Add("X-API-Key", apiKey);
        }

        using var res = await _http.SendAsync(req);
        var text = await res.Content.ReadAsStringAsync();
        if (res.StatusCode != expected)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)res.StatusCode}, expected {(int)expected}: {text}");
        }

        return string.IsNullOrWhiteSpace(text) ? new JsonObject() : JsonNode.Parse(text)!;
    }

    /// <summary>The status code of a scanner-protocol GET with the given key (to prove a key works, or no longer does).</summary>
    public async Task<HttpStatusCode> ScannerStatusAsync(string apiKey)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, new Uri("/scanner/jobs?limit=1", UriKind.Relative));
        req.Headers.Authorization = null;
        req.Headers.Add("X-API-Key", apiKey);
        using var res = await _http.SendAsync(req);
        return res.StatusCode;
    }

    /// <summary>Claims every queued job assigned to the scanner (the protocol caps a claim at 10).</summary>
    public async Task<List<long>> ClaimAllAsync(ScannerInfo scanner)
    {
        var ids = new List<long>();
        while (true)
        {
            var json = await SendAsync(HttpMethod.Get, "/scanner/jobs?limit=10", null, HttpStatusCode.OK, scanner.ApiKey);
            var jobs = json["jobs"]!.AsArray();
            if (jobs.Count == 0)
            {
                return ids;
            }

            ids.AddRange(jobs.Select(j => long.Parse(j!["jobId"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    public Task StartAsync(ScannerInfo s, long jobId) =>
        SendAsync(HttpMethod.Post, $"/scanner/jobs/{jobId}/start", null, HttpStatusCode.OK, s.ApiKey);

    public Task<JsonNode> ProgressAsync(ScannerInfo s, long jobId, long progress, long results) =>
        SendAsync(HttpMethod.Post, $"/scanner/jobs/{jobId}/progress", new JsonObject { ["progressCount"] = progress, ["resultCount"] = results }, HttpStatusCode.OK, s.ApiKey);

    public Task CompleteAsync(ScannerInfo s, long jobId, string status, string? error = null, long? resultCount = null)
    {
        var body = new JsonObject { ["status"] = status };
        if (error is not null)
        {
            body["errorMessage"] = error;
        }

        if (resultCount is not null)
        {
            body["resultCount"] = resultCount;
        }

        return SendAsync(HttpMethod.Post, $"/scanner/jobs/{jobId}/complete", body, HttpStatusCode.OK, s.ApiKey);
    }

    public Task ResultsAsync(ScannerInfo s, long jobId, IEnumerable<(string Ip, int Port, string State)> results)
    {
        var arr = new JsonArray(results.Select(r => (JsonNode)new JsonObject { ["ip"] = r.Ip, ["port"] = r.Port, ["proto"] = "tcp", ["state"] = r.State, ["ttl"] = 64 }).ToArray());
        return SendAsync(HttpMethod.Post, $"/scanner/jobs/{jobId}/results", new JsonObject { ["results"] = arr }, HttpStatusCode.OK, s.ApiKey);
    }

    public Task HeartbeatAsync(ScannerInfo s, string version) =>
        SendAsync(HttpMethod.Post, "/scanner/heartbeat", new JsonObject { ["version"] = version }, HttpStatusCode.OK, s.ApiKey);

    /// <summary>Jobs of the admin API's job list (first page, any status) matching q.</summary>
    public async Task<List<JsonNode>> JobsAsync(string q)
    {
        var json = await GetAsync($"/api/jobs?limit=200&q={Uri.EscapeDataString(q)}");
        return json["jobs"]!.AsArray().Select(j => j!).ToList();
    }
}
