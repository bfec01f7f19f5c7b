using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Outpost.Store.Model;
using Outpost.Store.Postgres;
using Outpost.Testing;

namespace Outpost.Store.Tests.Contract;

/// <summary>
/// A throw-away PostgreSQL cluster and one fresh database for the contract class; each test gets its own schema in
/// it (through the connection's search path), so tests see an empty store without paying for a database each.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime, IAsyncDisposable
{
    // The server's default is off, so the store's own connections must be what turns durable commits on.
    private readonly PostgresCluster _cluster = new(new Dictionary<string, string> { ["synchronous_commit"] = "off" });

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await _cluster.StartAsync();
        await using (var connection = new NpgsqlConnection(_cluster.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE contract", connection);
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = _cluster.ConnectionStringFor("contract");
    }

    /// <summary>A new, empty schema; the returned connection string makes it the store's search path.</summary>
    public async Task<string> FreshSchemaAsync()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await _cluster.DisposeAsync();
    }

    /// <summary>Idempotent: the cluster removes itself once.</summary>
    ValueTask IAsyncDisposable.DisposeAsync() => _cluster.DisposeAsync();
}

/// <summary>The contract on the PostgreSQL store, and what only a shared store has to show.</summary>
public sealed class PostgresContractTests(PostgresDatabase database) : StoreContract, IClassFixture<PostgresDatabase>
{
    protected override async Task<IOutpostStore> OpenAsync() =>
        await PostgresOutpostStore.OpenAsync(new PostgresStoreOptions { ConnectionString = await database.FreshSchemaAsync() }, NullLoggerFactory.Instance);

    [Fact]
    public async Task A_claim_reads_the_partial_index_of_queued_jobs_and_never_walks_claimed_rows()
    {
        var s = await ScannerAsync();
        await ScanAsync(3000, false, "big", s);
        Assert.Equal(2500, (await Store.ClaimAsync(s.Id, 2500, null, Now)).Count);
        var text = await ExplainClaimAsync(PostgresOutpostStore.ClaimSql, new NpgsqlParameter<long> { TypedValue = s.Id }, s.Id);
        Assert.Contains("jobs_queued", text);
        Assert.DoesNotContain("Seq Scan", text);
    }

    [Fact]
    public async Task A_claim_from_a_pool_reads_the_pools_partial_index()
    {
        var member = await PoolMemberAsync("m");
        await PoolScanAsync(3000);
        Assert.Equal(2500, (await Store.ClaimAsync(member.Id, 2500, null, Now, pool: "dc-frankfurt")).Count);
        var text = await ExplainClaimAsync(PostgresOutpostStore.ClaimFromPoolSql, new NpgsqlParameter<string> { TypedValue = "dc-frankfurt" }, member.Id);
        Assert.Contains("jobs_queued_pool", text);
        Assert.DoesNotContain("Seq Scan", text);
    }

    /// <summary>The plan of one claim statement, run (EXPLAIN ANALYZE) with <paramref name="from"/> as $1.</summary>
    private async Task<string> ExplainClaimAsync(string claimSql, NpgsqlParameter from, long claimerId)
    {
        var connectionString = ((PostgresOutpostStore)Store).ConnectionStringForTests;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var analyze = new NpgsqlCommand("ANALYZE jobs", connection))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        // Every store connection commits durably, whatever the server's default says (off in this cluster).
        await using (var show = new NpgsqlCommand("SHOW synchronous_commit", connection))
        {
            Assert.Equal("on", await show.ExecuteScalarAsync());
        }

        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, COSTS OFF) " + claimSql, connection);
        explain.Parameters.Add(from);
        explain.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 5 });
        explain.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = true });
        explain.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = Now.UtcDateTime });
        explain.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        // The job names of the scanner's capabilities (docs/capabilities.md): the filter rides on the same index.
        explain.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ["portscan", "fingerprint"], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        explain.Parameters.Add(new NpgsqlParameter<long> { TypedValue = claimerId });
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        return string.Join('\n', plan);
    }

    [Fact]
    public async Task Completions_that_leave_their_stripe_unfinished_never_wait_for_the_scan_row()
    {
        // 260 jobs: job i shares its roll-up stripe with job i + 256 (docs/performance.md). Left unfinished: 0, 256, 1, 257.
        var s = await ScannerAsync();
        var scan = await ScanAsync(260, false, "scan", s);
        var jobs = await Store.ClaimAsync(s.Id, 260, null, Now);
        for (var i = 0; i < jobs.Count; i++)
        {
            await Store.StartAsync(s.Id, jobs[i].JobId, Now);
            if (i is not (0 or 1 or 256 or 257)) await Store.CompleteAsync(s.Id, jobs[i].JobId, false, 1, null, Now);
        }

        // Another transaction holds the scan row for as long as the test wants.
        await using var holder = new NpgsqlConnection(((PostgresOutpostStore)Store).ConnectionStringForTests);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT 1 FROM scans WHERE id = $1 FOR UPDATE", holder, transaction))
        {
            hold.Parameters.Add(new NpgsqlParameter<long> { TypedValue = scan.Id });
            await hold.ExecuteNonQueryAsync();
        }

        // Their stripes keep a job each: a completion and a failure go through without the scan row.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(s.Id, jobs[0].JobId, false, 1, null, Now, guard.Token)).Status);
        Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(s.Id, jobs[1].JobId, true, 1, "boom", Now, guard.Token)).Status);

        // Job 256 empties its stripe, so it must look at the scan row (it might be the last): it waits for the holder.
        var emptiesStripe = Store.CompleteAsync(s.Id, jobs[256].JobId, false, 1, null, Now).AsTask();
        await using (var blocked = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))", holder, transaction))
        {
            while ((long)(await blocked.ExecuteScalarAsync(guard.Token))! == 0 && !emptiesStripe.IsCompleted) { }
        }

        Assert.False(emptiesStripe.IsCompleted);
        await transaction.CommitAsync();
        Assert.Equal(StoreStatus.Ok, (await emptiesStripe).Status);
        Assert.Equal(ScanStatus.Running, Store.GetScan(scan.Id)!.Status);
        Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(s.Id, jobs[257].JobId, false, 1, null, Now)).Status);
        var rolled = Store.GetScan(scan.Id)!;
        Assert.Equal(ScanStatus.Failed, rolled.Status);
        Assert.Equal(new JobCounts(0, 0, 0, 259, 1, 0), rolled.Jobs);
    }

    [Fact]
    public async Task A_refused_completion_never_waits_for_its_stripe()
    {
        // The stripe lock is for completions that finish a job (outpost_roll_up_stripe, migration 7): one the
        // lifecycle refuses (a claimed job the scanner never started and was not told to stop) leaves it alone.
        var s = await ScannerAsync();
        var scan = await ScanAsync(1, false, "scan", s);
        var job = (await Store.ClaimAsync(s.Id, 1, null, Now))[0];

        await using var holder = new NpgsqlConnection(((PostgresOutpostStore)Store).ConnectionStringForTests);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_xact_lock(1869968496, (((scan_id << 8) | (id % 256)) & 2147483647)::int) FROM jobs WHERE id = $1",
            holder, transaction))
        {
            hold.Parameters.Add(new NpgsqlParameter<long> { TypedValue = job.JobId });
            await hold.ExecuteNonQueryAsync();
        }

        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(StoreStatus.InvalidTransition, (await Store.CompleteAsync(s.Id, job.JobId, false, 1, null, Now, guard.Token)).Status);
        Assert.Equal(JobStatus.Claimed, Store.GetJob(job.JobId)!.Status);
        Assert.Equal(ScanStatus.Running, Store.GetScan(scan.Id)!.Status);
        await transaction.RollbackAsync();
    }

    [Fact]
    public async Task Nodes_starting_at_once_migrate_the_schema_once_and_all_open()
    {
        var connectionString = await database.FreshSchemaAsync();
        using var barrier = new Barrier(4);
        var opened = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(() =>
        {
            barrier.SignalAndWait();
            return PostgresOutpostStore.OpenAsync(new PostgresStoreOptions { ConnectionString = connectionString }, NullLoggerFactory.Instance)
                .AsTask().GetAwaiter().GetResult();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        var scanner = await opened[0].CreateScannerAsync("s", new byte[32], [], null, T0);
        foreach (var store in opened)
        {
            Assert.Equal(scanner.Id, store.GetScanner(scanner.Id)!.Id);
            await store.DisposeAsync();
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM outpost_migrations", connection);
        Assert.Equal((long)Migrations.Latest, await count.ExecuteScalarAsync());
    }
}
