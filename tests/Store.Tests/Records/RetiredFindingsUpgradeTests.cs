using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Model;
using Outpost.Store.Records;
using Outpost.Store.Records.Findings;
using Outpost.Store.Records.Inventory;

namespace Outpost.Store.Tests.Records;

/// <summary>
/// A data directory of the version before the records database (findings in the job store's catalog: its checkpoint's
/// findings list and its log's findings changes) upgraded: the findings move into the records database, once
/// (docs/records.md, "Upgrading").
/// </summary>
public sealed class RetiredFindingsUpgradeTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "outpost-upgrade-" + Guid.NewGuid().ToString("N"));

    private string StoreDirectory => Path.Combine(_dataDirectory, "store");

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    /// <summary>Every finding the old store holds, as the records database must show it (the first report of an identity wins).</summary>
    private static List<StoredFinding> Expected(long finished, long running) =>
    [
        new(finished, 1, new Finding("10.0.0.1", 22, "tcp", "open", 64), T0),
        new(finished, 1, new Finding("10.0.0.1", 80, "tcp", "closed", null), T0),
        new(finished, 2, new Finding("10.0.0.2", 443, "tcp", "open", 63), T0.AddMinutes(1)),
        new(finished, 2, new Finding("10.0.0.3", 22, "tcp", "open", 64), T0.AddMinutes(2)),
        new(running, 3, new Finding("10.0.0.9", 8080, "tcp", "open", 64), T0.AddMinutes(3)),
    ];

    [Fact]
    public async Task The_findings_of_a_store_from_before_records_move_into_the_records_database_once()
    {
        var (finished, running) = await WriteOldDataDirectoryAsync();

        await using (var records = await RecordsDatabase.OpenEmbeddedAsync(_dataDirectory, freshDataDirectory: false, NullLoggerFactory.Instance))
        {
            await using (var store = await FasterOutpostStore.OpenAsync(TempStore.Options(StoreDirectory), records, NullLoggerFactory.Instance))
            {
                await AssertImportedAsync(records, finished, running);

                // The finished scan counts as processed and told (no notification or follow-up replays it); the running
                // scan is processed as usual when it finishes.
                var state = await new InventoryProcessing(records).GetAsync(finished);
                Assert.NotNull(state);
                Assert.Equal(ProcessingPhase.Notified, state.Phase);
                Assert.True(state.Covers(store.GetScan(finished)!.FinishedAt!.Value));
                Assert.Null(await new InventoryProcessing(records).GetAsync(running));
            }

            // The import's checkpoint left the old findings out of the job store: nothing is left to import.
            Assert.Null(CatalogRetiredFindings.Find(File.ReadAllBytes(CatalogPath())));
            await using (await FasterOutpostStore.OpenAsync(TempStore.Options(StoreDirectory), records, NullLoggerFactory.Instance))
            {
                await AssertImportedAsync(records, finished, running);
            }
        }
    }

    [Fact]
    public async Task An_import_cut_short_by_a_crash_runs_again_and_adds_only_what_was_missing()
    {
        var (finished, running) = await WriteOldDataDirectoryAsync();

        // What a crash after the import's first transaction leaves: some of the findings committed, the job store untouched.
        await using (var records = await RecordsDatabase.OpenEmbeddedAsync(_dataDirectory, freshDataDirectory: false, NullLoggerFactory.Instance))
        {
            Assert.Equal(2, await new FindingsTable(records).ImportAsync(Expected(finished, running)[..2]));
        }

        await using (var records = await RecordsDatabase.OpenEmbeddedAsync(_dataDirectory, freshDataDirectory: false, NullLoggerFactory.Instance))
        await using (await FasterOutpostStore.OpenAsync(TempStore.Options(StoreDirectory), records, NullLoggerFactory.Instance))
        {
            await AssertImportedAsync(records, finished, running);
        }
    }

    [Fact]
    public async Task A_crash_after_the_import_and_before_its_checkpoint_imports_nothing_twice()
    {
        var (finished, running) = await WriteOldDataDirectoryAsync();
        var beforeImport = Path.Combine(_dataDirectory, "store-before-import");
        CopyDirectory(StoreDirectory, beforeImport);

        await using (var records = await RecordsDatabase.OpenEmbeddedAsync(_dataDirectory, freshDataDirectory: false, NullLoggerFactory.Instance))
        {
            await using (await FasterOutpostStore.OpenAsync(TempStore.Options(StoreDirectory), records, NullLoggerFactory.Instance))
            {
            }

            // The job store as it was before the import's checkpoint, beside the records database the import filled.
            Directory.Delete(StoreDirectory, recursive: true);
            Directory.Move(beforeImport, StoreDirectory);
            await using (await FasterOutpostStore.OpenAsync(TempStore.Options(StoreDirectory), records, NullLoggerFactory.Instance))
            {
                await AssertImportedAsync(records, finished, running);
            }
        }
    }

    /// <summary>The records database holds exactly the old findings, and each job's count is the number of its findings.</summary>
    private static async Task AssertImportedAsync(RecordsDatabase records, long finished, long running)
    {
        var table = new FindingsTable(records);
        var expected = Expected(finished, running);
        foreach (var scanId in new[] { finished, running, 999 })
        {
            var stored = new List<StoredFinding>();
            await foreach (var finding in table.ExportAsync(scanId)) stored.Add(finding);
            Assert.Equal(expected.Where(f => f.ScanId == scanId), stored);
        }

        foreach (var job in expected.GroupBy(f => (f.ScanId, f.JobId)))
        {
            // An empty append answers with the job's count.
            Assert.Equal(job.Count(), (await table.AppendAsync(job.Key.ScanId, job.Key.JobId, [], T0, maxPerJob: 100)).JobTotal);
        }
    }

    /// <summary>
    /// Writes what the version before the records database left: a scan that finished and one still running in the
    /// job store; findings in its checkpoint's catalog and, after that checkpoint, in its log (one repeating an
    /// identity the checkpoint holds, one of a scan that is gone); no records.db and no marker.
    /// </summary>
    private async Task<(long Finished, long Running)> WriteOldDataDirectoryAsync()
    {
        var options = TempStore.Options(StoreDirectory);
        long finished, running;
        await using (var store = await FasterOutpostStore.OpenAsync(options, NullLoggerFactory.Instance))
        {
            var scanner = await store.CreateScannerAsync("s1", RandomNumberGenerator.GetBytes(32), [], null, T0);
            finished = (await store.CreateScanAsync(Spec("finished"), ScanStatus.Running, Jobs(scanner, 2), T0)).Id;
            running = (await store.CreateScanAsync(Spec("running"), ScanStatus.Running, Jobs(scanner, 1), T0)).Id;
        }

        var catalog = JsonNode.Parse(File.ReadAllText(CatalogPath()))!.AsObject();
        catalog["findings"] = JsonNode.Parse($"[{OldFinding(finished, 1, "10.0.0.1", 22, "open", 64, T0)}, " +
            $"{OldFinding(finished, 1, "10.0.0.1", 80, "closed", null, T0)}, {OldFinding(finished, 2, "10.0.0.2", 443, "open", 63, T0.AddMinutes(1))}]");
        File.WriteAllText(CatalogPath(), catalog.ToJsonString());

        var crashed = await FasterOutpostStore.OpenAsync(options, NullLoggerFactory.Instance);
        await crashed.AppendCatalogJsonAsync(OldChange(finished,
            OldFinding(finished, 2, "10.0.0.2", 443, "closed", 64, T0.AddMinutes(2)), OldFinding(finished, 2, "10.0.0.3", 22, "open", 64, T0.AddMinutes(2))));
        await crashed.AppendCatalogJsonAsync(OldChange(running, OldFinding(running, 3, "10.0.0.9", 8080, "open", 64, T0.AddMinutes(3))));
        await crashed.AppendCatalogJsonAsync(OldChange(999, OldFinding(999, 7, "10.0.0.1", 1, "open", 64, T0.AddMinutes(3))));
        Assert.Equal(StoreStatus.Ok, (await crashed.StopScanAsync(finished, T0.AddMinutes(4))).Status);
        await crashed.CloseWithoutCheckpointAsync();

        Assert.False(File.Exists(Path.Combine(_dataDirectory, RecordsDatabase.FileName)));
        Assert.False(File.Exists(Path.Combine(_dataDirectory, RecordsDatabase.MarkerName)));
        return (finished, running);
    }

    private string CatalogPath() => Path.Combine(StoreDirectory, Manifest.TryRead(StoreDirectory)!.CatalogFile);

    private static ScanSpec Spec(string name) => new() { Name = name, Targets = ["10.0.0.0/24"], Ports = "22,80,443,8080", ScannerIds = [] };

    private static List<NewJob> Jobs(Scanner scanner, int count) =>
        [.. Enumerable.Range(1, count).Select(i => new NewJob(scanner.Id, "portscan", [new JobTarget($"10.0.0.{i}", "22,80,443,8080")], 1000))];

    /// <summary>A finding as that version wrote it (<c>StoredFinding</c> in the catalog's web JSON).</summary>
    private static string OldFinding(long scanId, long jobId, string ip, int port, string state, int? ttl, DateTimeOffset seenAt) =>
        $$"""{"scanId":{{scanId}},"jobId":{{jobId}},"finding":{"ip":"{{ip}}","port":{{port}},"proto":"tcp","state":"{{state}}","ttl":{{(ttl is { } t ? t.ToString(CultureInfo.InvariantCulture) : "null")}}},"seenAt":"{{seenAt:yyyy-MM-ddTHH:mm:ss.fffffffzzz}}"}""";

    /// <summary>That version's findings change: <c>FindingsAdded(ScanId, Findings)</c> under the <c>findings</c> discriminator.</summary>
    private static byte[] OldChange(long scanId, params string[] findings) =>
        Encoding.UTF8.GetBytes($$"""{"t":"findings","scanId":{{scanId}},"findings":[{{string.Join(",", findings)}}]}""");

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
    }
}
