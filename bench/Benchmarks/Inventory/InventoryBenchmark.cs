using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Benchmarks.Store;
using Outpost.Store.Model;
using Outpost.Store.Records;
using Outpost.Store.Records.Findings;
using Outpost.Store.Records.Inventory;
using Outpost.Testing;

namespace Outpost.Benchmarks.Inventory;

/// <summary>
/// outpost-bench inventory [--assets N] [--search-assets M] [--slice-rows R] (defaults 100 000, 1 000 000 and the
/// daemon's slice; 10 open ports each)
/// Processing: a scan's N × 10 open findings are stored (batches of 1 000), then processed into the inventory the way
/// the daemon does (<see cref="InventoryProcessing"/>, slices of R findings, each a durable commit): findings/s. Search:
/// the inventory is then filled up to M assets (M × 10 services) by <see cref="InventoryFixture"/>, and the asset
/// search runs substring queries (an address, a hostname fragment), the port filter, the first page and cursor pages,
/// 100 limit each: p50 and p99 over all of them. Outpost is the embedded records database (SQLite); the peer is the
/// same schema and the same calls on PostgreSQL on a throw-away cluster in the same run.
/// </summary>
public static class InventoryBenchmark
{
    private const int PortsPerAsset = 10;
    private const int Batch = 1_000;
    private const int Queries = 200;
    private static readonly int[] Ports = [21, 22, 25, 80, 110, 143, 443, 3306, 5432, 8080];

    public static async Task<int> RunAsync(string[] args)
    {
        var assets = Option(args, "--assets", 100_000);
        var searchAssets = Math.Max(assets, Option(args, "--search-assets", 1_000_000));
        var sliceRows = Option(args, "--slice-rows", InventoryProcessing.DefaultSliceRows);
        Console.WriteLine($"inventory benchmark: processing {assets:N0} assets ({assets * (long)PortsPerAsset:N0} findings), search over " +
            $"{searchAssets:N0} assets ({searchAssets * (long)PortsPerAsset:N0} services), {Environment.ProcessorCount} cores");

        var directory = StoreBenchmark.TempDirectory("outpost-bench-inventory");
        Directory.CreateDirectory(directory);
        Figures outpost;
        try
        {
            await using var sqlite = await RecordsDatabase.OpenSqliteAsync(Path.Combine(directory, RecordsDatabase.FileName), create: true, NullLoggerFactory.Instance);
            outpost = await MeasureAsync("sqlite", sqlite, assets, searchAssets, sliceRows);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Figures peer;
        await using (var cluster = new PostgresCluster())
        {
            await using var postgres = await RecordsDatabase.OpenPostgresAsync(await cluster.StartAsync(), NullLoggerFactory.Instance);
            peer = await MeasureAsync("postgres", postgres, assets, searchAssets, sliceRows);
        }

        Summary.Print("inventory-processing", outpost.ProcessedPerSecond, peer.ProcessedPerSecond, "findings/s");
        Summary.Print("inventory-search-p50", outpost.SearchP50, peer.SearchP50, "ms");
        Summary.Print("inventory-search-p99", outpost.SearchP99, peer.SearchP99, "ms");
        return 0;
    }

    private sealed record Figures(double ProcessedPerSecond, double SearchP50, double SearchP99);

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string Ip(int asset) => string.Create(CultureInfo.InvariantCulture, $"10.{asset >> 16 & 255}.{asset >> 8 & 255}.{asset & 255}");

    private static async Task<Figures> MeasureAsync(string name, RecordsDatabase database, int assets, int searchAssets, int sliceRows)
    {
        var findings = new FindingsTable(database);
        var now = DateTimeOffset.UtcNow;
        var rows = new List<Finding>(Batch);
        long job = 0;
        for (var a = 0; a < assets; a++)
        {
            foreach (var port in Ports) rows.Add(new Finding(Ip(a), port, "tcp", "open", 64));
            if (rows.Count >= Batch || a == assets - 1)
            {
                await findings.AppendAsync(1, ++job, rows, now, long.MaxValue);
                rows.Clear();
            }
        }

        var processing = new InventoryProcessing(database);
        var clock = Stopwatch.StartNew();
        var state = await processing.BeginAsync(1, "portscan bench", now);
        while (state.Phase == ProcessingPhase.Folding) state = await processing.FoldAsync(state, sliceRows);
        await processing.SummarizeAsync(state);
        var rate = state.Total / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-8} processing {state.Total:N0} findings in {clock.Elapsed.TotalSeconds:0.0} s: {rate:N0}/s"));

        await InventoryFixture.LoadAsync(name, database, assets, searchAssets, now);
        var queries = new InventoryQueries(database);
        var random = new Random(7);
        var latencies = new List<double>(Queries * 5);
        string[] kinds = ["address", "hostname", "port", "cursor page", "first page"];
        var byKind = kinds.Select(_ => new List<double>(Queries)).ToArray();
        for (var q = 0; q < Queries; q++)
        {
            var asset = random.Next(searchAssets);
            var ip = Ip(asset);
            var named = random.Next(assets, searchAssets);
            AssetQuery[] batch = [
                new AssetQuery { Text = ip },
                new AssetQuery { Text = string.Create(CultureInfo.InvariantCulture, $"host-{named}.") },
                new AssetQuery { Port = Ports[random.Next(Ports.Length)], AfterIp = ip },
                new AssetQuery { AfterIp = ip },
                new AssetQuery()];
            for (var k = 0; k < batch.Length; k++)
            {
                var started = Stopwatch.GetTimestamp();
                await queries.SearchAsync(batch[k]);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                latencies.Add(elapsed);
                byKind[k].Add(elapsed);
            }
        }

        latencies.Sort();
        var p50 = latencies[latencies.Count / 2];
        var p99 = latencies[(int)(latencies.Count * 0.99)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-8} search p50 {p50:0.00} ms, p99 {p99:0.00} ms ({latencies.Count} queries)"));
        // Per kind, so a p99 over all of them says which query it comes from.
        for (var k = 0; k < kinds.Length; k++)
        {
            byKind[k].Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-8}   {kinds[k],-11} p50 {byKind[k][byKind[k].Count / 2]:0.00} ms, p99 {byKind[k][(int)(byKind[k].Count * 0.99)]:0.00} ms"));
        }
        return new Figures(rate, p50, p99);
    }
}
