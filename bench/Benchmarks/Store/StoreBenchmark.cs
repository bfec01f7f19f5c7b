using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;

using Outpost.Testing;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// outpost-bench store [--seconds S] [--in-flight N] [--recovery 1000000,10000000]; findings: see FindingsBenchmark.
/// Durable lifecycle throughput with 1, 2 and 8 workers, claims/s, p50/p99 per operation and peak RSS; recovery
/// time after SIGKILL of a store holding 1M and 10M jobs; and the peer in the same run: the same lifecycle on
/// PostgreSQL with the seed's design, on a throw-away cluster — next to Outpost's own PostgreSQL backend.
/// </summary>
public static class StoreBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length >= 1 && args[0] == "findings") return await FindingsBenchmark.RunAsync(args[1..]);
        if (args.Length >= 3 && args[0] == "fill") return await RecoveryRun.FillAndWaitAsync(args[1], long.Parse(args[2], CultureInfo.InvariantCulture));
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
        await using (var cluster = new PostgresCluster())
        {
            var connectionString = await cluster.StartAsync();
            foreach (var clients in new[] { 1, 2, 8, 16, 32 })
            {
                var result = await MeasureAsync(new PostgresPeerBackend(connectionString), clients, 1, duration, ceiling: 10_000);
                Report("postgres", clients, result);
                best["postgres"] = Math.Max(best.GetValueOrDefault("postgres"), result.JobsPerSecond);
            }
            // Outpost's own PostgreSQL backend (scale-out), side by side with the embedded one, in a database of its own.
            var storeDatabase = await CreateDatabaseAsync(connectionString, "outpost_store");
            foreach (var workers in new[] { 1, 2, 8 })
            {
                var result = await MeasureAsync(OutpostStoreBackend.Postgres(storeDatabase), workers, 8, duration, ceiling: 10_000);
                Report("outpost-pg", workers, result);
                best["outpost-pg"] = Math.Max(best.GetValueOrDefault("outpost-pg"), result.JobsPerSecond);
            }
        }
        Summary.Print("store-durable-lifecycle", best["outpost"], best["postgres"], "jobs/s");
        Summary.Print("store-durable-lifecycle-postgres-backend", best["outpost-pg"], best["postgres"], "jobs/s");

        await MeasureRecoveryAsync(recoverySizes);
        return 0;
    }

    private static async Task MeasureRecoveryAsync(long[] sizes)
    {
        foreach (var jobs in sizes)
        {
            var elapsed = await RecoveryRun.MeasureAsync(jobs);
            Console.WriteLine($"recovery after SIGKILL with {jobs:N0} jobs: {elapsed.TotalSeconds:0.00} s");
            Summary.Print($"store-recovery-{jobs / 1_000_000.0:0.#}m", elapsed.TotalSeconds, 10, "s (peer = 10 s target)");
        }
    }

    /// <summary>Runs one load; <paramref name="ceiling"/> (jobs/s) sizes the queued work so no lane runs dry.</summary>
    private static async Task<LoadResult> MeasureAsync(ILifecycleBackend backend, int workers, int inFlight, TimeSpan duration, int ceiling = 100_000)
    {
        await using (backend)
        {
            await backend.PrepareAsync(workers, (int)Math.Min(2_000_000, ceiling * duration.TotalSeconds / workers));
            return await new LifecycleLoad(backend, workers, inFlight, duration).RunAsync();
        }
    }

    private static async Task<string> CreateDatabaseAsync(string connectionString, string name)
    {
        await using (var connection = new Npgsql.NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Database = name }.ConnectionString;
    }

    private static void Report(string name, int workers, LoadResult result)
    {
        var latencies = string.Join(" ", result.Latencies.Percentiles().Select(p => $"{p.Operation.ToString().ToLowerInvariant()} p50={p.P50:0}us p99={p.P99:0}us"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-8} workers={workers,-2} lifecycle={result.JobsPerSecond:0} jobs/s claims={result.ClaimsPerSecond:0}/s {latencies}"));
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
