using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests.StoreOperations;

/// <summary>
/// docs/store-operations.md, "Disk full": the data directory on a small tmpfs this test mounts, filled under load.
/// Changes get 503 STORE_UNAVAILABLE within 5 s (no request hangs), /readyz says not ready and the
/// store-unavailable alarm shows; once the space is freed the daemon serves again by itself, and after kill -9 every
/// acknowledged change is there.
/// </summary>
public sealed class DiskFullTests
{
    private const long Reserve = 16L << 20;

    [Fact]
    public async Task A_full_disk_answers_503_quickly_and_service_resumes_when_space_returns()
    {
        using var directory = new TempDirectory();
        var data = Path.Combine(directory.Path, "data");
        Directory.CreateDirectory(data);
        Run("mount", "-t", "tmpfs", "-o", "size=96m", "outpost-diskfull", data);
        var environment = new Dictionary<string, string?> { ["Outpost__Store__MinFreeBytes"] = Reserve.ToString(CultureInfo.InvariantCulture) };
        var acked = new ConcurrentQueue<string>();
        try
        {
            using (var daemon = await DaemonProcess.StartAsync(directory, environment: environment))
            using (var api = new Api(daemon.BaseAddress))
            {
                var load = new Load(api, acked);
                var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() => load.RunAsync(w))).ToList();
                await load.Acknowledged(20).WaitAsync(TimeSpan.FromSeconds(60));

                // Fill the file system to below the store's reserve.
                var filler = Path.Combine(data, "filler");
                Fill(filler, data, Reserve / 2);
                var filledAt = load.Now;
                var firstRefusal = await load.Refused.WaitAsync(TimeSpan.FromSeconds(30));
                Assert.True(firstRefusal - filledAt <= TimeSpan.FromSeconds(5), $"the first 503 came {(firstRefusal - filledAt).TotalSeconds:0.0} s after the disk filled");
                (await api.SendAsync(HttpMethod.Get, "/readyz", null)).AssertError(503, "NOT_READY");
                var alarms = (await api.AdminAsync(HttpMethod.Get, "/api/alarms")).AssertOk().Json.GetProperty("alarms");
                Assert.Contains(alarms.EnumerateArray(), a => a.GetProperty("kind").GetString() == "store-unavailable");

                File.Delete(filler);
                var before = acked.Count;
                await WaitUntilAsync(async () => (await api.SendAsync(HttpMethod.Get, "/readyz", null)).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(20));
                await load.Acknowledged(before + 20).WaitAsync(TimeSpan.FromSeconds(60));
                load.Stop();
                await Task.WhenAll(workers);
                Assert.True(load.SlowestReply < TimeSpan.FromSeconds(5), $"a request took {load.SlowestReply.TotalSeconds:0.0} s");
                daemon.KillHard();
            }

            using (var daemon = await DaemonProcess.StartAsync(directory, environment: environment))
            using (var api = new Api(daemon.BaseAddress))
            {
                var names = (await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json.GetProperty("scanners")
                    .EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToHashSet();
                Assert.All(acked, name => Assert.Contains(name, names));
            }
        }
        finally
        {
            Run("umount", "-l", data);
        }
    }

    /// <summary>Writes zeros into <paramref name="path"/> until the file system has <paramref name="leave"/> bytes free.</summary>
    private static void Fill(string path, string directory, long leave)
    {
        var chunk = new byte[1 << 20];
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        while (new DriveInfo(directory).AvailableFreeSpace - chunk.Length > leave)
        {
            stream.Write(chunk);
            stream.Flush();
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < timeout, $"not true within {timeout.TotalSeconds:0} s");
            await Task.Delay(100);
        }
    }

    private static void Run(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)} failed: {error}");
    }

    /// <summary>Admins creating scanners as fast as the daemon answers; every 201 is an acknowledged change.</summary>
    private sealed class Load(Api api, ConcurrentQueue<string> acked)
    {
        private readonly TaskCompletionSource<TimeSpan> _refused = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly ConcurrentDictionary<int, TaskCompletionSource> _targets = new();
        private volatile bool _stopped;
        private int _next;
        private long _slowestTicks;

        /// <summary>Completes with the load's clock at the first 503 STORE_UNAVAILABLE.</summary>
        public Task<TimeSpan> Refused => _refused.Task;

        public TimeSpan Now => _clock.Elapsed;

        public TimeSpan SlowestReply => TimeSpan.FromTicks(Interlocked.Read(ref _slowestTicks));

        public Task Acknowledged(int count)
        {
            var target = _targets.GetOrAdd(count, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            if (acked.Count >= count) target.TrySetResult();
            return target.Task;
        }

        public void Stop() => _stopped = true;

        public async Task RunAsync(int worker)
        {
            while (!_stopped)
            {
                var name = $"load-{worker}-{Interlocked.Increment(ref _next)}";
                var sent = Stopwatch.StartNew();
                var reply = await api.AdminAsync(HttpMethod.Post, "/api/scanners", new { name });
                var took = sent.Elapsed.Ticks;
                for (var slowest = Interlocked.Read(ref _slowestTicks); took > slowest; slowest = Interlocked.Read(ref _slowestTicks))
                {
                    if (Interlocked.CompareExchange(ref _slowestTicks, took, slowest) == slowest) break;
                }

                if (reply.Code == 201)
                {
                    acked.Enqueue(name);
                    foreach (var (count, target) in _targets)
                    {
                        if (acked.Count >= count) target.TrySetResult();
                    }
                }
                else
                {
                    reply.AssertError(503, "STORE_UNAVAILABLE");
                    _refused.TrySetResult(_clock.Elapsed);
                    await Task.Delay(50);
                }
            }
        }
    }
}
