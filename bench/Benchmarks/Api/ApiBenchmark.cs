using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Outpost.Benchmarks.Api;

/// <summary>
/// <c>outpost-bench api [--scanners N] [--seconds S]</c>: a load generator for the scanner job protocol.
///
/// It starts the real <c>outpost</c> daemon as its own process (its own GC, as installed) on a temp data directory
/// with plain HTTP on loopback, creates N scanners and enough scans to keep them busy, then runs N simulated scanners,
/// each looping over the full lifecycle: claim one job → start → progress → complete. Every one of those replies is
/// sent only after the store made the change durable. In the same run, on the same daemon and pipeline, the same
/// number of clients hammer <c>GET /healthz</c>: the ceiling of that Kestrel setup for a request that does nothing.
/// The SUMMARY compares protocol requests/s with that ceiling (target: at least 60 %).
/// </summary>
public static partial class ApiBenchmark
{
    private const string Token = "bench-admin-token-5e0b7d1c93a64f28";

    public static async Task<int> RunAsync(string[] args)
    {
        var scanners = Option(args, "--scanners", 256);
        var seconds = Option(args, "--seconds", 20);
        var warmup = TimeSpan.FromSeconds(3);
        var measure = TimeSpan.FromSeconds(seconds);
        var directory = Path.Combine(Path.GetTempPath(), "outpost-bench-api-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        using var daemon = await StartDaemonAsync(directory);
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = scanners,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                UseCookies = false,
            })
            { BaseAddress = daemon.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

            Console.WriteLine($"api: daemon pid {daemon.Process.Id} on {daemon.BaseAddress}, {scanners} simulated scanners, {seconds} s per phase, data in {directory}");

            // The ceiling first, so the store is empty and nothing else competes.
            await RunPhaseAsync(scanners, warmup, _ => TrivialAsync(http));
            var ceiling = await RunPhaseAsync(scanners, measure, _ => TrivialAsync(http), daemon.Process);
            Report("ceiling: GET /healthz, same daemon and pipeline", ceiling, measure, perLifecycle: 1);

            var keys = await SetUpAsync(http, scanners, ceiling.Requests / Math.Max(1, seconds) * (seconds + 5) / 4 + 1000);
            var lifecycles = keys.Select(k => new Lifecycle(http, k)).ToArray();
            await RunPhaseAsync(scanners, warmup, i => lifecycles[i].RunOnceAsync());
            var protocol = await RunPhaseAsync(scanners, measure, i => lifecycles[i].RunOnceAsync(), daemon.Process);
            Report("protocol: claim → start → progress → complete, every ack durable", protocol, measure, perLifecycle: 4);

            var protocolRate = protocol.Requests / measure.TotalSeconds;
            var ceilingRate = ceiling.Requests / measure.TotalSeconds;
            Summary.Print("api-protocol-requests", protocolRate, ceilingRate, "req/s");
            // The ceiling in lifecycles: what four trivial requests per job would allow.
            Summary.Print("api-lifecycle-jobs", protocol.Operations / measure.TotalSeconds, ceilingRate / 4, "jobs/s");
            // The daemon's CPU per request against the trivial request's (lower is better): on a shared, loaded machine
            // this swings far less between runs than the throughput ratio does.
            Summary.Print("api-daemon-cpu", protocol.CpuPerRequest, ceiling.CpuPerRequest, "us/req");
            return protocol.Errors == 0 ? 0 : 1;
        }
        finally
        {
            daemon.Stop();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Creates the scanners and enough jobs for the measured phase (the planner caps a scan at 4096 jobs, so several
    /// scans of a /12 each, round-robin over all scanners). Returns the scanners' API keys.
    /// </summary>
    private static async Task<string[]> SetUpAsync(HttpClient http, int scanners, long jobsWanted)
    {
        var ids = new long[scanners];
        var keys = new string[scanners];
        for (var i = 0; i < scanners; i++)
        {
            using var created = await AdminAsync(http, HttpMethod.Post, "/api/scanners", $"{{\"name\":\"bench-{i}\"}}");
            ids[i] = created.RootElement.GetProperty("id").GetInt64();
            keys[i] = created.RootElement.GetProperty("apiKey").GetString()!;
        }

        var scans = (int)Math.Clamp((jobsWanted + 4095) / 4096, 1, 255);
        var started = Stopwatch.GetTimestamp();
        var scannerList = string.Join(',', ids);
        for (var s = 0; s < scans; s++)
        {
            var body = $"{{\"name\":\"bench-{s}\",\"targets\":[\"{s % 16 * 16}.{s / 16 * 16}.0.0/12\"],\"ports\":\"22,80,443\",\"scannerIds\":[{scannerList}]}}";
            using var _ = await AdminAsync(http, HttpMethod.Post, "/api/scans", body);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"api: set up {scanners} scanners and {scans} scans of 4096 jobs in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s"));
        return keys;
    }

    private static async Task<Phase> RunPhaseAsync(int workers, TimeSpan duration, Func<int, Task<Sample>> operation, Process? server = null)
    {
        server?.Refresh();
        var cpuBefore = server?.TotalProcessorTime ?? TimeSpan.Zero;
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var results = await Task.WhenAll(Enumerable.Range(0, workers).Select(i => Task.Run(async () =>
        {
            var latencies = new List<double>(1 << 16);
            long requests = 0, operations = 0, errors = 0;
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var sample = await operation(i);
                if (sample.Requests == 0)
                {
                    break; // out of jobs
                }

                requests += sample.Requests;
                errors += sample.Errors;
                operations++;
                latencies.AddRange(sample.Latencies);
            }

            return new Phase(requests, operations, errors, latencies);
        })));
        server?.Refresh();
        var serverCpu = (server?.TotalProcessorTime ?? TimeSpan.Zero) - cpuBefore;
        return new Phase(results.Sum(r => r.Requests), results.Sum(r => r.Operations), results.Sum(r => r.Errors),
            [.. results.SelectMany(r => r.Latencies)], serverCpu);
    }

    private static void Report(string what, Phase phase, TimeSpan duration, int perLifecycle)
    {
        var sorted = phase.Latencies.Order().ToArray();
        double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
        var jobs = perLifecycle > 1
            ? string.Create(CultureInfo.InvariantCulture, $", {phase.Operations / duration.TotalSeconds:0} lifecycle jobs/s")
            : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"api: {what}: {phase.Requests / duration.TotalSeconds:0} req/s{jobs}, p50 {Percentile(0.50):0.00} ms, p99 {Percentile(0.99):0.00} ms, daemon CPU {phase.CpuPerRequest:0} µs/req, errors {phase.Errors}"));
    }

    private static async Task<Sample> TrivialAsync(HttpClient http)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync("/healthz");
        await response.Content.ReadAsByteArrayAsync();
        return new Sample(1, response.IsSuccessStatusCode ? 0 : 1, [Stopwatch.GetElapsedTime(started).TotalMilliseconds]);
    }

    /// <summary>One simulated scanner: its key, and the lifecycle of one job per call.</summary>
    private sealed class Lifecycle(HttpClient http, string key)
    {
        private static readonly byte[] Progress = "{\"progressCount\":256,\"resultCount\":3}"u8.ToArray();
        private static readonly byte[] Complete = "{\"status\":\"completed\",\"resultCount\":3}"u8.ToArray();
        private readonly double[] _latencies = new double[4];

        public async Task<Sample> RunOnceAsync()
        {
            var errors = 0;
            var (claim, ok) = await SendAsync(HttpMethod.Get, "/scanner/jobs", null, 0);
            errors += ok ? 0 : 1;
            var jobId = FirstJobId(claim);
            if (jobId < 0)
            {
                return new Sample(0, errors, []);
            }

            var job = jobId.ToString(CultureInfo.InvariantCulture);
            errors += (await SendAsync(HttpMethod.Post, $"/scanner/jobs/{job}/start", null, 1)).Ok ? 0 : 1;
            errors += (await SendAsync(HttpMethod.Post, $"/scanner/jobs/{job}/progress", Progress, 2)).Ok ? 0 : 1;
            errors += (await SendAsync(HttpMethod.Post, $"/scanner/jobs/{job}/complete", Complete, 3)).Ok ? 0 : 1;
            return new Sample(4, errors, _latencies);
        }

        private async Task<(byte[] Body, bool Ok)> SendAsync(HttpMethod method, string path, byte[]? body, int slot)
        {
            var started = Stopwatch.GetTimestamp();
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Add("X-API-Key", key);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }

            using var response = await http.SendAsync(request);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            _latencies[slot] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return (bytes, response.IsSuccessStatusCode);
        }

        private static long FirstJobId(byte[] claim)
        {
            var reader = new Utf8JsonReader(claim);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("jobId"u8) && reader.Read())
                {
                    return reader.GetInt64();
                }
            }

            return -1;
        }
    }

    private static async Task<JsonDocument> AdminAsync(HttpClient http, HttpMethod method, string path, string body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
        }

        return JsonDocument.Parse(text);
    }

    private static async Task<Daemon> StartDaemonAsync(string directory)
    {
        var config = Path.Combine(directory, "outpost.json");
        // No reverse DNS: the benchmark's addresses have no PTR records, and the machine's resolver is not to be asked about them.
        await File.WriteAllTextAsync(config, """
            {
              "Outpost": {
                "Store": { "JobMemorySizeBits": 28, "JobIndexBuckets": 1048576, "BlobMemorySizeBits": 27, "BlobIndexBuckets": 262144 },
                "Inventory": { "ReverseDns": { "Enabled": false } }
              },
              "Logging": { "LogLevel": { "Default": "Warning", "Microsoft.Hosting.Lifetime": "Information" } }
            }
            """);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "outpost.dll"), "--data-dir", Path.Combine(directory, "data"),
            "--urls", "http://127.0.0.1:0", "--config", config })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["OUTPOST_ADMIN_TOKEN"] = Token;
        var process = Process.Start(info)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && Listening().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("outpost: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return new Daemon(process, address);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;
    }

    [GeneratedRegex(@"Now listening on: (\S+)")]
    private static partial Regex Listening();

    private sealed record Sample(long Requests, long Errors, IReadOnlyList<double> Latencies);

    /// <summary>A measured phase; <see cref="ServerCpu"/> is the daemon's CPU time over it (user + system).</summary>
    private sealed record Phase(long Requests, long Operations, long Errors, List<double> Latencies, TimeSpan ServerCpu = default)
    {
        public double CpuPerRequest => ServerCpu.TotalMicroseconds / Math.Max(1, Requests);
    }

    private sealed class Daemon(Process process, Uri baseAddress) : IDisposable
    {
        public Process Process { get; } = process;

        public Uri BaseAddress { get; } = baseAddress;

        /// <summary>SIGTERM would be kinder, but the run is over and its data directory is deleted next.</summary>
        public void Stop()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit();
            }
        }

        public void Dispose()
        {
            Stop();
            Process.Dispose();
        }
    }
}
