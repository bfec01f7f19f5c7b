using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Outpost.Store;
using Outpost.Store.Faster;
using Outpost.Store.Model;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// outpost-bench store soak [--lifecycles N] [--live L]: N job lifecycles (create, claim, start, complete) in rounds
/// of 50 000 with retention keeping the last L jobs, on the embedded store with its defaults (compressed time: each
/// round is an hour of the store's clock). Prints the data directory's size as it goes — it should reach a plateau —
/// then reopens the store and times the restart with L live jobs and N − L retired ones (docs/store-operations.md,
/// "Bounded disk" and "Restart").
/// </summary>
internal static class SoakRun
{
    private const int PerRound = 50_000;

    public static async Task RunAsync(long lifecycles, long live)
    {
        var directory = StoreBenchmark.TempDirectory("outpost-bench-soak");
        var options = new FasterStoreOptions { DataDirectory = directory, CheckpointWalBytes = 64L << 20 };
        FasterOutpostStore? store = null;
        var unavailable = 0;
        // The store's warnings (a shutdown checkpoint that failed, say) explain a slow restart: they are printed.
        using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        // A scanner answered 503 (a commit that stalled past the store's timeout) sends again, as the scanner protocol
        // says; the soak does the same instead of ending a half-hour run on one slow disk write.
        async Task<T> Retrying<T>(Func<ValueTask<T>> operation)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await operation();
                }
                catch (StoreUnavailableException) when (attempt < 20)
                {
                    unavailable++;
                    await Task.Delay(250);
                }
            }
        }
        try
        {
            var running = store = await FasterOutpostStore.OpenAsync(options, logs);
            var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            var scanner = await running.CreateScannerAsync("soak", new byte[32], [], null, now);
            var keptRounds = Math.Max(1, live / PerRound);
            var rounds = (int)(lifecycles / PerRound);
            var sizes = new List<double>();
            var clock = Stopwatch.StartNew();
            for (var round = 0; round < rounds; round++)
            {
                now = now.AddHours(1);
                var jobs = new NewJob[PerRound];
                for (var i = 0; i < PerRound; i++) jobs[i] = new NewJob(scanner.Id, "portscan", [new JobTarget($"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}", "22,80,443")], 1000);
                await running.CreateScanAsync(new ScanSpec { Name = "soak", Targets = ["10.0.0.0/8"], Ports = "22,80,443", ScannerIds = [scanner.Id] }, ScanStatus.Running, jobs, now);
                for (var claimed = await Retrying(() => running.ClaimAsync(scanner.Id, 512, null, now)); claimed.Count > 0; claimed = await Retrying(() => running.ClaimAsync(scanner.Id, 512, null, now)))
                {
                    await Task.WhenAll(claimed.Select(async job =>
                    {
                        await Retrying(() => running.StartAsync(scanner.Id, job.JobId, now));
                        await Retrying(() => running.CompleteAsync(scanner.Id, job.JobId, false, 1, null, now));
                    }));
                }
                var cutoff = now.AddHours(-keptRounds + 0.5);
                await Retrying(() => running.RemoveFinishedBeforeAsync(cutoff));
                sizes.Add(FasterOutpostStore.DiskBytes(directory) / 1048576.0);
                if (round % 10 == 9 || round == rounds - 1)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {(round + 1) * (long)PerRound:N0} lifecycles in {clock.Elapsed.TotalSeconds:0} s: data directory {sizes[^1]:0} MiB"));
            }
            await running.DisposeAsync();
            store = null;
            if (unavailable > 0) Console.WriteLine($"  the store answered unavailable {unavailable} times (commits past its timeout); each was sent again");

            var open = Stopwatch.StartNew();
            var reopened = store = await FasterOutpostStore.OpenAsync(options, logs);
            var restart = open.Elapsed;
            var report = reopened.Recovery;
            await reopened.DisposeAsync();
            store = null;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"restart with {report.Jobs:N0} live jobs and {lifecycles - report.Jobs:N0} retired: {restart.TotalSeconds:0.00} s ({RecoveryRun.Phases(report)}; {report.EntriesReplayed:N0} log entries replayed)"));
            // The plateau: the largest size in the last third against the largest in the middle third.
            var middle = sizes.Skip(sizes.Count / 3).Take(sizes.Count / 3).DefaultIfEmpty(sizes[^1]).Max();
            var last = sizes.Skip(2 * sizes.Count / 3).Max();
            Summary.Print("store-soak-disk-plateau", last, middle, "MiB (peer = middle third of the run)");
            Summary.Print("store-soak-restart", restart.TotalSeconds, 2, "s (peer = 2 s target)");
        }
        finally
        {
            // A run that failed leaves its store open: close it first, so the cleanup neither fails on files it still
            // writes nor hides the failure.
            if (store is not null) await store.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }
}
