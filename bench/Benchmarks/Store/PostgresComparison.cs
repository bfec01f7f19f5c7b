using Outpost.Testing;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// Outpost's PostgreSQL backend against the pgbench-style peer, in one cluster and one run, at 1, 2, 8 and 32
/// workers (clients). The backend keeps 8 lifecycles in flight per worker on a pool of <c>pool</c> connections; the
/// peer runs one lifecycle per client on a connection of its own (docs/performance.md).
/// </summary>
internal static class PostgresComparison
{
    /// <summary>The backend's <c>Maximum Pool Size</c> in the benchmark: a few connections per core keep the server busy without thrashing.</summary>
    public const int PoolSize = 32;

    private static readonly int[] Workers = [1, 2, 8, 32];

    internal sealed record Result(Dictionary<int, double> Peer, Dictionary<int, double> Outpost)
    {
        public double BestPeer => Peer.Values.Max();

        public double BestOutpost => Outpost.Values.Max();

        public void PrintSummaries()
        {
            foreach (var workers in new[] { 8, 32 })
                Summary.Print($"store-postgres-backend-vs-pgbench-{workers}w", Outpost[workers], Peer[workers], "jobs/s");
        }
    }

    /// <summary>outpost-bench store --postgres-only [--seconds S] [--pool N]: this comparison alone, on a cluster of its own.</summary>
    public static async Task<int> RunAsync(TimeSpan duration, int pool)
    {
        await using var cluster = new PostgresCluster();
        var result = await MeasureAsync(await cluster.StartAsync(), duration, pool);
        result.PrintSummaries();
        return 0;
    }

    public static async Task<Result> MeasureAsync(string connectionString, TimeSpan duration, int pool)
    {
        var peer = new Dictionary<int, double>();
        var outpost = new Dictionary<int, double>();
        // Each load's peer and backend runs back to back, so a change in the machine's load between loads (a shared
        // build machine swings from one minute to the next) moves both sides of a ratio, not one.
        foreach (var workers in Workers)
        {
            var peerResult = await StoreBenchmark.MeasureAsync(new PgbenchStylePeer(connectionString), workers, 1, duration, ceiling: 10_000);
            StoreBenchmark.Report("pgbench", workers, peerResult);
            peer[workers] = peerResult.JobsPerSecond;
            // A fresh database of its own per run (as an installation would have it), like the peer's fresh table.
            var database = await StoreBenchmark.CreateDatabaseAsync(connectionString, $"outpost_store_{workers}");
            var sized = new Npgsql.NpgsqlConnectionStringBuilder(database) { MaxPoolSize = pool }.ConnectionString;
            var result = await StoreBenchmark.MeasureAsync(OutpostStoreBackend.Postgres(sized), workers, 8, duration, ceiling: 10_000);
            StoreBenchmark.Report("outpost-pg", workers, result);
            outpost[workers] = result.JobsPerSecond;
        }
        return new Result(peer, outpost);
    }
}
