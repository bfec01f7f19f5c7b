using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;
using Xunit.Abstractions;

namespace Outpost.EndToEnd.Tests;

/// <summary>
/// Leases that heal and pool failover against the daemon as a process (docs/lifecycle.md): claim replies lost on the
/// way to a scanner, and a pool member killed with <c>kill -9</c> in the middle of a job.
/// </summary>
public sealed class LeaseEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Lost_claim_replies_heal_within_the_grace_and_no_job_runs_twice()
    {
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory,
            scanners: $"{{ \"SweepInterval\": \"1.00:00:00\", \"LeaseGrace\": \"{Grace:c}\" }}");
        using var api = new Api(daemon.BaseAddress);
        var (scannerId, key) = await api.CreateScannerAsync("lossy");
        // 16 jobs of 256 addresses; the counting capability below sends nothing anywhere.
        var scanId = await api.CreateScanAsync(["10.82.0.0/20"], [scannerId], "80", name: "lossy");
        await using var proxy = await LossyProxy.StartAsync(daemon.BaseAddress, maxLost: 4);

        // The shared scanner loop (what outpost-probe node runs), through the proxy, heartbeating every second.
        var capability = new CountingCapability();
        using var protocol = new HttpScannerProtocol(proxy.Address, key);
        var runner = new JobRunner(protocol, new CapabilityRegistry([capability]), new JobRunnerOptions { ProgressInterval = TimeSpan.FromMilliseconds(500) },
            TimeProvider.System, NullLogger.Instance);
        var reclaimedAt = new ConcurrentDictionary<long, long>();
        var poller = new JobPoller(protocol, runner, 1, TimeSpan.FromSeconds(1), TimeProvider.System,
            claimed: job => reclaimedAt.TryAdd(job.JobId, Stopwatch.GetTimestamp()));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await poller.PollAsync(stop.Token);
                }
                catch (ScannerProtocolException)
                {
                    // A lost reply: the node carries on, as ScannerNode does.
                }

                await Task.Delay(200, CancellationToken.None);
            }
        });

        try
        {
            var scan = await Scans.WaitAsync(api, scanId, Scans.Ended, TimeSpan.FromSeconds(90), () => daemon.Output);
            Assert.True(Scans.Is(scan, "completed"), scan.ToString());
            Scans.AssertAllJobsCompleted(scan);
        }
        finally
        {
            await stop.CancelAsync();
            await loop;
            await poller.DrainAsync();
        }

        Assert.Equal(4, proxy.Lost.Count);
        var jobs = (await api.AdminAsync(HttpMethod.Get, $"/api/jobs?scanId={scanId}&limit=100")).AssertOk().Json.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(16, jobs.Count);
        foreach (var job in jobs)
        {
            var jobId = job.GetProperty("jobId").GetInt64();
            // Every job ran on the scanner exactly once: a lost claim never started, its second claim ran it.
            Assert.Equal(1, capability.Runs.GetValueOrDefault(jobId));
            Assert.Equal(proxy.Lost.ContainsKey(jobId) ? 1 : 0, job.GetProperty("attempts").GetInt32());
        }

        // Time to heal: from the lost reply to the scanner's next claim of the job (the grace plus up to a heartbeat and a poll).
        var heal = proxy.Lost.Select(l => Stopwatch.GetElapsedTime(l.Value, reclaimedAt[l.Key]).TotalSeconds).Order().ToList();
        Assert.All(heal, seconds => Assert.True(seconds >= Grace.TotalSeconds, $"healed after {seconds:0.00} s, before the grace"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SUMMARY lease-heal lost-claims={heal.Count} grace={Grace.TotalSeconds:0}s heartbeat=1s heal-min={heal[0]:0.00}s heal-median={heal[heal.Count / 2]:0.00}s heal-max={heal[^1]:0.00}s"));
    }

    [Fact]
    public async Task Two_nodes_in_a_pool_one_killed_mid_job_and_the_other_finishes_its_jobs()
    {
        using var network = TargetNetwork.Create(22, 80, 350);
        using var directory = new TempDirectory();
        // Quick offline detection so the test is short: offline after 5 s of silence, jobs re-queued 8 s after the last sign of life.
        using var daemon = await DaemonProcess.StartAsync(directory,
            scanners: "{ \"SweepInterval\": \"00:00:01\", \"HeartbeatTimeout\": \"00:00:05\", \"ReassignTimeout\": \"00:00:08\" }");
        using var api = new Api(daemon.BaseAddress);
        var (a, keyA) = await PoolMemberAsync(api, "node-a");
        var (b, keyB) = await PoolMemberAsync(api, "node-b");
        using var nodeA = ProbeNodeProcess.Start(daemon.BaseAddress, keyA, Directory.CreateDirectory(Path.Combine(directory.Path, "a")).FullName);

        // 65 addresses × 400 ports at 2 500 probes/s: about ten seconds of probing, so the kill lands mid-job.
        var created = (await api.AdminAsync(HttpMethod.Post, "/api/scans",
            new { name = "pool failover", targets = network.Targets, ports = "1-400", maxProbesPerSecond = 2500, pools = new[] { "dc-e2e" } })).AssertOk(201).Json;
        var scanId = created.GetProperty("id").GetInt64();
        await Scans.WaitAsync(api, scanId, s => s.GetProperty("progressCount").GetInt64() > 0, TimeSpan.FromSeconds(30), () => nodeA.Output);

        using var nodeB = ProbeNodeProcess.Start(daemon.BaseAddress, keyB, Directory.CreateDirectory(Path.Combine(directory.Path, "b")).FullName);
        nodeA.KillHard();

        var scan = await Scans.WaitAsync(api, scanId, Scans.Ended, TimeSpan.FromSeconds(90), () => nodeB.Output + "\n" + daemon.Output);
        Assert.True(Scans.Is(scan, "completed"), $"{scan}\n{nodeB.Output}");
        Scans.AssertAllJobsCompleted(scan);
        Assert.Equal(network.ExpectedOpen, await Scans.OpenPortsAsync(api, scanId));
        var jobs = (await api.AdminAsync(HttpMethod.Get, $"/api/jobs?scanId={scanId}&limit=100")).AssertOk().Json.GetProperty("jobs").EnumerateArray().ToList();
        Assert.NotEmpty(jobs);
        // Every job ended with b, and the one a held when it died was re-queued once, to the pool.
        Assert.All(jobs, j => Assert.Equal(b, j.GetProperty("scannerId").GetInt64()));
        Assert.Contains(jobs, j => j.GetProperty("attempts").GetInt32() == 1);
        Assert.NotEqual(a, b);
    }

    private static async Task<(long Id, string Key)> PoolMemberAsync(Api api, string name)
    {
        var created = (await api.AdminAsync(HttpMethod.Post, "/api/scanners", new { name, pool = "dc-e2e" })).AssertOk(201).Json;
        return (created.GetProperty("id").GetInt64(), created.GetProperty("apiKey").GetString()!);
    }

    /// <summary>A port scan that probes nothing: it takes a moment per job and counts how often each job ran to its end.</summary>
    private sealed class CountingCapability : ICapability
    {
        public ConcurrentDictionary<long, int> Runs { get; } = new();

        public string Name => "portscan";

        public string Version => "1.0.0";

        public string? Unavailable => null;

        public async Task<CapabilityOutcome> RunAsync(JobAssignment job, IJobReport report, CancellationToken stopping)
        {
            await Task.Delay(300, stopping);
            report.Progress(256);
            Runs.AddOrUpdate(job.JobId, 1, static (_, runs) => runs + 1);
            return new CapabilityOutcome(true, null, 256);
        }
    }

    /// <summary>
    /// An HTTP proxy on loopback between a scanner and the daemon that loses the reply of every other claim that
    /// handed out jobs (after the daemon committed it: the connection is reset), up to <c>maxLost</c> replies.
    /// </summary>
    private sealed class LossyProxy : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _upstream;
        private readonly int _maxLost;
        private int _claimsWithJobs;

        private LossyProxy(WebApplication app, Uri upstream, int maxLost)
        {
            _app = app;
            _upstream = new HttpClient { BaseAddress = upstream };
            _maxLost = maxLost;
        }

        public Uri Address => new(_app.Urls.First());

        /// <summary>The jobs whose claim reply was lost, with when (a <see cref="Stopwatch"/> timestamp).</summary>
        public ConcurrentDictionary<long, long> Lost { get; } = new();

        public static async Task<LossyProxy> StartAsync(Uri upstream, int maxLost)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var proxy = new LossyProxy(app, upstream, maxLost);
            app.Run(proxy.ForwardAsync);
            await app.StartAsync();
            return proxy;
        }

        private async Task ForwardAsync(HttpContext context)
        {
            using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
            request.Headers.Add("X-API-Key", context.Request.Headers["X-API-Key"].ToString());
            if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                request.Content = new ByteArrayContent(body.ToArray());
                request.Content.Headers.TryAddWithoutValidation("Content-Type", context.Request.ContentType);
            }

            using var response = await _upstream.SendAsync(request);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            if (context.Request.Path == "/scanner/jobs" && response.IsSuccessStatusCode && Lose(bytes))
            {
                context.Abort();
                return;
            }

            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } type)
            {
                context.Response.ContentType = type.ToString();
            }

            await context.Response.Body.WriteAsync(bytes);
        }

        /// <summary>Whether to lose this claim reply; records its jobs when it does.</summary>
        private bool Lose(byte[] reply)
        {
            var jobs = JsonDocument.Parse(reply).RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("jobId").GetInt64()).ToList();
            if (jobs.Count == 0 || Interlocked.Increment(ref _claimsWithJobs) % 2 == 1 || Lost.Count + jobs.Count > _maxLost)
            {
                return false;
            }

            var at = Stopwatch.GetTimestamp();
            foreach (var jobId in jobs)
            {
                Lost[jobId] = at;
            }

            return true;
        }

        public async ValueTask DisposeAsync()
        {
            _upstream.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
