using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;

using Outpost.Testing;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// outpost-bench store [--seconds S] [--in-flight N] [--recovery 1000000,10000000] | store idle | store soak | store recovery | store findings (FindingsBenchmark) | store codecs [--rounds N] (CodecBenchmark) | store commit-record [--commits N] (CommitRecordBenchmark)
/// Durable lifecycle throughput with 1, 2 and 8 workers, claims/s, p50/p99 per operation and peak RSS; recovery
/// time after SIGKILL of a store holding 1M and 10M jobs; and the peer in the same run: the same lifecycle on
/// PostgreSQL with the seed's design, on a throw-away cluster — next to Outpost's own PostgreSQL backend.
/// </summary>
public static class StoreBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length >= 1 && args[0] == "findings") return await FindingsBenchmark.RunAsync(args[1..]);
        if (args.Length >= 1 && args[0] == "codecs") return CodecBenchmark.Run(Option(args, "--rounds", 1_000_000));
        if (args.Length >= 1 && args[0] == "commit-record") return CommitRecordBenchmark.Run(Option(args, "--commits", 2000));
        if (args.Length >= 3 && args[0] == "fill") return await RecoveryRun.FillAndWaitAsync(args[1], long.Parse(args[2], CultureInfo.InvariantCulture));
        if (args.Length >= 1 && args[0] == "idle")
        {
            await IdleRun.RunAsync(Option(args, "--seconds", 90));
            return 0;
        }
        if (args.Length >= 1 && args[0] == "soak")
        {
            await SoakRun.RunAsync(OptionList(args, "--lifecycles", [4_000_000])[0], OptionList(args, "--live", [1_000_000])[0]);
            return 0;
        }
        if (args.Length >= 1 && args[0] == "recovery")
        {
            await MeasureRecoveryAsync(OptionList(args, "--recovery", [1_000_000, 10_000_000]));
            return 0;
        }
        var seconds = Option(args, "--seconds", 10);
        var inFlight = Option(args, "--in-flight", 64);
        var recoverySizes = OptionList(args, "--recovery", [1_000_000, 10_000_000]);
        // For profiling the store alone; a run without the peer prints no comparison.
        var outpostOnly = args.Contains("--outpost-only");
        var duration = TimeSpan.FromSeconds(seconds);

        // Outpost's PostgreSQL backend against the pgbench-style peer only, with the backend's pool size (docs/performance.md).
        if (args.Contains("--postgres-only")) return await PostgresComparison.RunAsync(duration, Option(args, "--pool", PostgresComparison.PoolSize));

        Console.WriteLine($"store benchmark: {Environment.ProcessorCount} cores, {seconds} s per run, {inFlight} lifecycles in flight per worker");
        var best = new Dictionary<string, double>();
        foreach (var workers in new[] { 1, 2, 8 })
        {
            var result = await MeasureAsync(OutpostStoreBackend.Faster(TempDirectory("outpost-bench-store")), workers, inFlight, duration);
            Report("outpost", workers, result);
            best["outpost"] = Math.Max(best.GetValueOrDefault("outpost"), result.JobsPerSecond);
        }
        Console.WriteLine($"peak RSS {PeakRssMegabytes():0} MB");

        if (outpostOnly) return 0;
        PostgresComparison.Result? comparison = null;
        await using (var cluster = new PostgresCluster())
        {
            var connectionString = await cluster.StartAsync();
            foreach (var clients in new[] { 1, 2, 8, 16, 32 })
            {
                var result = await MeasureAsync(new PostgresPeerBackend(connectionString), clients, 1, duration, ceiling: 10_000);
                Report("postgres", clients, result);
                best["postgres"] = Math.Max(best.GetValueOrDefault("postgres"), result.JobsPerSecond);
            }
            // The plain queue table driven the way pgbench drives it, and Outpost's own PostgreSQL backend against it.
            var postgres = await PostgresComparison.MeasureAsync(connectionString, duration, PostgresComparison.PoolSize);
            best["outpost-pg"] = postgres.BestOutpost;
            comparison = postgres;
        }
        Summary.Print("store-durable-lifecycle", best["outpost"], best["postgres"], "jobs/s");
        Summary.Print("store-durable-lifecycle-postgres-backend", best["outpost-pg"], best["postgres"], "jobs/s");
        comparison!.PrintSummaries();
        Summary.Print("store-embedded-vs-pgbench", best["outpost"], comparison.BestPeer, "jobs/s");

        await MeasureRecoveryAsync(recoverySizes);
        return 0;
    }

    private static async Task MeasureRecoveryAsync(long[] sizes)
    {
        foreach (var jobs in sizes)
        {
            var (elapsed, rss) = await RecoveryRun.MeasureAsync(jobs);
            Console.WriteLine($"recovery after SIGKILL with {jobs:N0} jobs: {elapsed.TotalSeconds:0.00} s, RSS {rss:0} MB");
            var target = jobs <= 1_000_000 ? 2 : 5;
            Summary.Print($"store-recovery-{jobs / 1_000_000.0:0.#}m", elapsed.TotalSeconds, target, $"s (peer = {target} s target)");
            if (jobs >= 10_000_000) Summary.Print($"store-rss-{jobs / 1_000_000.0:0.#}m-jobs", rss, 1024, "MB (peer = 1 GB target)");
        }
    }

    /// <summary>Runs one load; <paramref name="ceiling"/> (jobs/s) sizes the queued work so no lane runs dry.</summary>
    internal static async Task<LoadResult> MeasureAsync(ILifecycleBackend backend, int workers, int inFlight, TimeSpan duration, int ceiling = 100_000)
    {
        await using (backend)
        {
            await backend.PrepareAsync(workers, (int)Math.Min(2_000_000, ceiling * duration.TotalSeconds / workers));
            return await new LifecycleLoad(backend, workers, inFlight, duration).RunAsync();
        }
    }

    internal static async Task<string> CreateDatabaseAsync(string connectionString, string name)
    {
        await using (var connection = new Npgsql.NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Database = name }.ConnectionString;
    }

    internal static void Report(string name, int workers, LoadResult result)
    {
        var latencies = string.Join(" ", result.Latencies.Percentiles().Select(p => $"{p.Operation.ToString().ToLowerInvariant()} p50={p.P50:0}us p99={p.P99:0}us"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-10} workers={workers,-2} lifecycle={result.JobsPerSecond:0} jobs/s claims={result.ClaimsPerSecond:0}/s {latencies}"));
    }

    internal static double PeakRssMegabytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    internal static string TempDirectory(string prefix) => Path.Combine(Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N"));

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static long[] OptionList(string[] args, string name, long[] fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? [.. args[i + 1].Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture))] : fallback;
    }
}
