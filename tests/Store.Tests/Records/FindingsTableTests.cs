using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Outpost.Store.Model;
using Outpost.Store.Postgres;
using Outpost.Store.Records;
using Outpost.Store.Records.Findings;
using Outpost.Store.Tests.Contract;

namespace Outpost.Store.Tests.Records;

/// <summary>Findings in the records database, the same on SQLite and PostgreSQL: identity, order, paging, export, cap, retention.</summary>
public abstract class FindingsTableContract : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private RecordsDatabase? _database;

    protected FindingsTable Table => new(_database!);

    protected abstract Task<RecordsDatabase> OpenAsync();

    public async Task InitializeAsync() => _database = await OpenAsync();

    public virtual async Task DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
    }

    private static Finding F(string ip, int port, string state = "open", int? ttl = 64) => new(ip, port, "tcp", state, ttl);

    [Fact]
    public async Task Findings_are_kept_once_per_scan_ip_port_and_proto_and_the_first_report_wins()
    {
        Assert.Equal(3, (await Table.AppendAsync(1, 10, [F("10.0.0.2", 22), F("10.0.0.1", 80), F("10.0.0.1", 22), F("10.0.0.1", 22)], T0, 100)).Added);
        Assert.Equal(0, (await Table.AppendAsync(1, 10, [F("10.0.0.2", 22, "closed")], T0.AddSeconds(1), 100)).Added);
        Assert.Equal(1, (await Table.AppendAsync(1, 11, [F("10.0.0.2", 22), F("10.0.0.3", 443, "closed", null)], T0.AddSeconds(2), 100)).Added);
        // Another scan has its own identities.
        Assert.Equal(1, (await Table.AppendAsync(2, 20, [F("10.0.0.1", 22)], T0, 100)).Added);

        var page = await Table.PageAsync(1, null, 10);
        Assert.Null(page.NextCursor);
        Assert.Equal(new[] { ("10.0.0.1", 22), ("10.0.0.1", 80), ("10.0.0.2", 22), ("10.0.0.3", 443) }, page.Findings.Select(f => (f.Finding.Ip, f.Finding.Port)));
        Assert.Equal(new StoredFinding(1, 10, F("10.0.0.2", 22), T0), page.Findings[2]);
        Assert.Equal(new StoredFinding(1, 11, F("10.0.0.3", 443, "closed", null), T0.AddSeconds(2)), page.Findings[3]);
    }

    [Fact]
    public async Task Paging_walks_the_whole_set_exactly_once_in_key_order()
    {
        var all = new List<Finding>();
        for (var host = 0; host < 60; host++)
            for (var port = 1; port <= 25; port++)
                all.Add(F($"10.1.{host / 10}.{host}", port * 7));
        var shuffled = all.OrderBy(f => HashCode.Combine(f.Ip, f.Port)).ToList();
        for (var i = 0; i < shuffled.Count; i += 128) await Table.AppendAsync(5, 50, shuffled.GetRange(i, Math.Min(128, shuffled.Count - i)), T0, 10_000);

        var seen = new List<Finding>();
        var pages = 0;
        for (FindingsCursor? after = null; ; pages++)
        {
            var page = await Table.PageAsync(5, after, 37);
            seen.AddRange(page.Findings.Select(f => f.Finding));
            if (page.NextCursor is null) break;
            Assert.Equal(37, page.Findings.Count);
            Assert.True(FindingsCursor.TryDecode(page.NextCursor, out var next));
            after = next;
        }

        Assert.Equal(all.Count / 37 + (all.Count % 37 == 0 ? 0 : 1) - 1, pages);
        var expected = all.OrderBy(f => f.Ip, StringComparer.Ordinal).ThenBy(f => f.Port).ToList();
        Assert.Equal(expected, seen);

        var exported = new List<Finding>();
        await foreach (var f in Table.ExportAsync(5)) exported.Add(f.Finding);
        Assert.Equal(expected, exported);
    }

    [Fact]
    public async Task A_batch_that_would_pass_the_cap_is_refused_whole_and_changes_nothing()
    {
        Assert.Equal(new FindingsAppend(3, 3, false), await Table.AppendAsync(1, 10, [F("10.0.0.1", 1), F("10.0.0.1", 2), F("10.0.0.1", 3)], T0, 4));
        Assert.Equal(new FindingsAppend(0, 3, true), await Table.AppendAsync(1, 10, [F("10.0.0.1", 3), F("10.0.0.1", 4), F("10.0.0.1", 5)], T0, 4));
        // Repeats count nothing: a batch of known findings passes even at the cap.
        Assert.Equal(new FindingsAppend(1, 4, false), await Table.AppendAsync(1, 10, [F("10.0.0.1", 1), F("10.0.0.1", 4)], T0, 4));
        Assert.Equal(new FindingsAppend(0, 4, false), await Table.AppendAsync(1, 10, [F("10.0.0.1", 1), F("10.0.0.1", 2)], T0, 4));
        Assert.Equal(4, (await Table.PageAsync(1, null, 100)).Findings.Count);
        // The cap is per job.
        Assert.Equal(1, (await Table.AppendAsync(1, 11, [F("10.0.0.1", 9)], T0, 4)).Added);
    }

    [Fact]
    public async Task Concurrent_identical_batches_store_each_finding_once()
    {
        var batch = Enumerable.Range(1, 300).Select(p => F("10.2.0.1", p)).ToArray();
        using var start = new Barrier(4);
        var appends = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            start.SignalAndWait();
            return await Table.AppendAsync(3, 30, batch, T0, 1_000);
        })).ToArray();
        var results = await Task.WhenAll(appends);
        Assert.Equal(300, results.Sum(r => r.Added));
        Assert.All(results, r => Assert.Equal(300, r.JobTotal));
        Assert.Equal(300, (await Table.PageAsync(3, null, 1_000)).Findings.Count);
    }

    [Fact]
    public async Task Retention_removes_the_findings_of_scans_that_are_gone_and_keeps_the_rest()
    {
        await Table.AppendAsync(1, 10, [F("10.0.0.1", 22)], T0, 100);
        await Table.AppendAsync(2, 20, [F("10.0.0.1", 22), F("10.0.0.2", 22)], T0, 100);
        await Table.AppendAsync(3, 30, [F("10.0.0.3", 22)], T0, 100);
        Assert.Equal(3, await Table.RemoveGoneScansAsync(scan => scan == 1));
        Assert.Single((await Table.PageAsync(1, null, 10)).Findings);
        Assert.Empty((await Table.PageAsync(2, null, 10)).Findings);
        Assert.Empty((await Table.PageAsync(3, null, 10)).Findings);
        Assert.Equal(0, await Table.RemoveGoneScansAsync(scan => scan == 1));
        // The job's tally went with them: a new batch of a removed job's id counts from zero.
        Assert.Equal(new FindingsAppend(1, 1, false), await Table.AppendAsync(3, 30, [F("10.0.0.3", 22)], T0, 1));
    }

    [Fact]
    public void Cursors_are_opaque_tokens_that_refuse_what_they_did_not_make()
    {
        var cursor = new FindingsCursor("10.0.0.1", 443, "tcp");
        Assert.True(FindingsCursor.TryDecode(cursor.Encode(), out var back));
        Assert.Equal(cursor, back);
        foreach (var bad in new[] { "", "not base64!", "MTAuMC4wLjE", new string('A', 400) })
            Assert.False(FindingsCursor.TryDecode(bad, out _));
    }
}

public sealed class SqliteFindingsTableTests : FindingsTableContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("outpost-findings-").FullName;

    protected override async Task<RecordsDatabase> OpenAsync() =>
        await RecordsDatabase.OpenSqliteAsync(Path.Combine(_directory, RecordsDatabase.FileName), create: true, NullLoggerFactory.Instance);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class PostgresFindingsTableTests(PostgresDatabase database) : FindingsTableContract, IClassFixture<PostgresDatabase>
{
    protected override async Task<RecordsDatabase> OpenAsync() =>
        await RecordsDatabase.OpenPostgresAsync(await database.FreshSchemaAsync(), NullLoggerFactory.Instance);

    [Fact]
    public async Task The_job_stores_old_findings_table_is_taken_over_with_its_rows()
    {
        // A database as the job store's schema 1 left it, with a finding in its own findings table.
        var connectionString = await database.FreshSchemaAsync();
        await using (var store = await PostgresOutpostStore.OpenAsync(new PostgresStoreOptions { ConnectionString = connectionString }, NullLoggerFactory.Instance))
        {
            var scanner = await store.CreateScannerAsync("s", new byte[32], [], null, DateTimeOffset.UtcNow);
            var scan = await store.CreateScanAsync(new ScanSpec { Name = "old", Targets = ["10.0.0.0/24"], Ports = "22", ScannerIds = [scanner.Id] },
                ScanStatus.Running, [new NewJob(scanner.Id, "portscan", [new JobTarget("10.0.0.0/24", "22")], 100)], DateTimeOffset.UtcNow);
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                "INSERT INTO findings (scan_id, ip, port, proto, job_id, state, ttl, seen_at) VALUES ($1, '10.0.0.9', 22, 'tcp', 1, 'open', 60, $2)", connection);
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = scan.Id });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) });
            await insert.ExecuteNonQueryAsync();
        }

        await using var records = await RecordsDatabase.OpenPostgresAsync(connectionString, NullLoggerFactory.Instance);
        var table = new FindingsTable(records);
        var page = await table.PageAsync(1, null, 10);
        Assert.Equal([new StoredFinding(1, 1, new Finding("10.0.0.9", 22, "tcp", "open", 60), new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero))], page.Findings);
        // Its job's tally came along, so the cap counts what was there before the move.
        Assert.Equal(new FindingsAppend(0, 1, true), await table.AppendAsync(1, 1, [new Finding("10.0.0.8", 22, "tcp", "open", null)], DateTimeOffset.UtcNow, 1));
    }
}
