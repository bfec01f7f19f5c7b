using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Model;
using Outpost.Store.Records;
using Outpost.Store.Records.Capabilities;
using Outpost.Store.Records.Findings;
using Outpost.Store.Records.Inventory;
using Outpost.Store.Tests.Contract;

namespace Outpost.Store.Tests.Records;

/// <summary>
/// Processing scans into the inventory, the same on SQLite and PostgreSQL: the merged assets and services, the change
/// summary against the previous run, the timeline, search and filters, and a processing resumed after the database
/// was closed mid-way ending where an uninterrupted one does.
/// </summary>
public abstract partial class InventoryProcessingContract : IAsyncLifetime
{
    private const string RunKey = "portscan 10.0.0.0/24";
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private RecordsDatabase? _database;

    protected RecordsDatabase Database => _database!;

    /// <summary>Where a new, empty database goes (a file, a schema).</summary>
    protected abstract Task<string> NewLocationAsync();

    /// <summary>Opens the database at <paramref name="location"/>, migrated by <paramref name="migrations"/>.</summary>
    protected abstract Task<RecordsDatabase> OpenAtAsync(string location, IReadOnlyList<Migration> migrations);

    private async Task<RecordsDatabase> OpenAsync() => await OpenAtAsync(await NewLocationAsync(), RecordsSchema.All);

    public async Task InitializeAsync() => _database = await OpenAsync();

    public virtual async Task DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
    }

    private static string Tls(string ip, int port, string host, string sha256, string title) =>
        $$$"""{"ip":"{{{ip}}}","port":{{{port}}},"proto":"tcp","service":"https","product":"nginx","version":"1.24","tls":{"version":"TLSv1.3","subject":"CN={{{host}}}","sans":["{{{host}}}","*.wild.example"],"notBefore":"2026-01-01T00:00:00+00:00","notAfter":"2026-12-01T00:00:00+00:00","sha256":"{{{sha256}}}"},"http":{"status":200,"title":"{{{title}}}"}}""";

    /// <summary>The results of a scan: open and closed findings, fingerprinted services and crawled pages.</summary>
    private static async Task RecordAsync(RecordsDatabase database, long scanId, (string Ip, int Port, string State)[] findings, ServiceRecord[] services,
        PageRecord[]? pages = null)
    {
        await new FindingsTable(database).AppendAsync(scanId, scanId * 10, [.. findings.Select(f => new Finding(f.Ip, f.Port, "tcp", f.State, 64))], T0, 1_000);
        if (services.Length > 0) await new CapabilityResults(database).PutServicesAsync(scanId, scanId * 10 + 1, services, T0);
        if (pages is not null) await new CapabilityResults(database).PutPagesAsync(scanId, scanId * 10 + 2, pages, T0);
    }

    private static async Task<ProcessingState> ProcessAsync(RecordsDatabase database, long scanId, int sliceRows = 1, int? stopAfterSlices = null)
    {
        var processing = new InventoryProcessing(database);
        var state = await processing.BeginAsync(scanId, RunKey, T0.AddHours(scanId));
        for (var slices = 0; state.Phase == ProcessingPhase.Folding; slices++)
        {
            if (slices == stopAfterSlices) return state;
            state = await processing.FoldAsync(state, sliceRows);
        }

        return await processing.SummarizeAsync(state);
    }

    private static Task FirstRunAsync(RecordsDatabase database) => RecordAsync(database, 1,
        [("10.0.0.1", 22, "open"), ("10.0.0.1", 80, "open"), ("10.0.0.2", 443, "open"), ("10.0.0.3", 25, "closed")],
        [new ServiceRecord("10.0.0.2", 443, "https", "nginx", "1.24", Tls("10.0.0.2", 443, "a.example", "AAAA", "Alpha"))],
        [new PageRecord("http://web.example/", "10.0.0.1", 80, 0, 200, "Home", "text/html", "[]", null),
         new PageRecord("http://web.example/about", "10.0.0.1", 80, 1, 200, "About", "text/html", "[]", null)]);

    private static Task SecondRunAsync(RecordsDatabase database) => RecordAsync(database, 2,
        [("10.0.0.1", 22, "open"), ("10.0.0.2", 443, "open"), ("10.0.0.4", 8080, "open")],
        [new ServiceRecord("10.0.0.2", 443, "https", "nginx", "1.24", Tls("10.0.0.2", 443, "a.example", "BBBB", "Alpha"))]);

    [Fact]
    public async Task The_first_run_makes_everything_new_and_the_inventory_holds_its_assets_and_services()
    {
        await FirstRunAsync(Database);
        var state = await ProcessAsync(Database, 1);
        Assert.Equal(ProcessingPhase.Processed, state.Phase);
        Assert.Equal(state.Total, state.Processed);
        Assert.Equal(4, state.Total);

        var changes = (await new InventoryQueries(Database).GetChangesAsync(1))!;
        Assert.Null(changes.PreviousScanId);
        Assert.Equal(["10.0.0.1", "10.0.0.2"], changes.NewAssets);
        Assert.Equal([("10.0.0.1", 22), ("10.0.0.1", 80), ("10.0.0.2", 443)], changes.NewServices.Select(s => (s.Ip, s.Port)));
        Assert.Empty(changes.GoneAssets);
        Assert.Empty(changes.GoneServices);
        Assert.Empty(changes.ChangedServices);

        var asset = (await new InventoryQueries(Database).GetAssetAsync("10.0.0.2"))!;
        Assert.Equal(["a.example"], asset.Asset.Hostnames);
        var https = Assert.Single(asset.Services).Facts;
        Assert.Equal(("https", "nginx", "1.24", "CN=a.example", "AAAA", "Alpha"), (https.Service, https.Product, https.Version, https.CertSubject, https.CertSha256, https.HttpTitle));
        Assert.Equal([1L], asset.SeenByScans);
        var web = (await new InventoryQueries(Database).GetAssetAsync("10.0.0.1"))!;
        Assert.Equal("Home", web.Services.Single(s => s.Facts.Port == 80).Facts.HttpTitle);
        Assert.Equal(["web.example"], web.Asset.Hostnames);
        Assert.Null(await new InventoryQueries(Database).GetAssetAsync("10.0.0.3"));
    }

    [Fact]
    public async Task The_second_run_lists_exactly_what_appeared_went_and_changed()
    {
        await FirstRunAsync(Database);
        await ProcessAsync(Database, 1);
        await SecondRunAsync(Database);
        await ProcessAsync(Database, 2, sliceRows: 2);

        var changes = (await new InventoryQueries(Database).GetChangesAsync(2))!;
        Assert.Equal(1, changes.PreviousScanId);
        Assert.Equal(["10.0.0.4"], changes.NewAssets);
        Assert.Empty(changes.GoneAssets);
        Assert.Equal([("10.0.0.4", 8080)], changes.NewServices.Select(s => (s.Ip, s.Port)));
        Assert.Equal([("10.0.0.1", 80)], changes.GoneServices.Select(s => (s.Ip, s.Port)));
        var changed = Assert.Single(changes.ChangedServices);
        Assert.Equal(("10.0.0.2", 443, "BBBB", "AAAA"), (changed.Service.Ip, changed.Service.Port, changed.Service.CertSha256, changed.Previous.CertSha256));
        // The previous side is what the first run saw in full, the certificate's subject and expiry included.
        Assert.Equal(("https", "nginx", "CN=a.example", new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), "Alpha"),
            (changed.Previous.Service, changed.Previous.Product, changed.Previous.CertSubject, changed.Previous.CertNotAfter, changed.Previous.HttpTitle));

        var queries = new InventoryQueries(Database);
        Assert.Equal(new ChangeCounts(NewAssets: 1, GoneAssets: 0, NewServices: 1, GoneServices: 1, ChangedServices: 1), await queries.GetChangeCountsAsync(2));
        var web = (await queries.GetAssetAsync("10.0.0.1"))!;
        Assert.Equal(1, web.Asset.Services);
        Assert.Equal(2, web.Services.Single(s => s.Facts.Port == 80).GoneScanId);
        Assert.Contains(web.History, e => e is { Kind: "service-gone", Port: 80, ScanId: 2 });
        var tls = (await queries.GetAssetAsync("10.0.0.2"))!;
        Assert.Contains(tls.History, e => e is { Kind: "service-changed", Port: 443, ScanId: 2 } && e.Detail!.Contains("AAAA -> BBBB", StringComparison.Ordinal));
        Assert.Equal([2L, 1L], tls.SeenByScans);

        // Processing a scan again (as after a re-run, which finishes it later) records nothing twice: only last seen moves.
        static string Micros(DateTimeOffset t) => RecordsCommands.Microseconds(t).ToString(System.Globalization.CultureInfo.InvariantCulture);
        static string Events(string dump) => string.Join('\n', dump.Split('\n').Where(line => !line.StartsWith("inventory_processing|", StringComparison.Ordinal))
            .Select(line => line.StartsWith("inventory_assets|", StringComparison.Ordinal) || line.StartsWith("inventory_services|", StringComparison.Ordinal)
                ? line.Replace(Micros(T0.AddHours(2).AddMinutes(1)), Micros(T0.AddHours(2)), StringComparison.Ordinal) : line));
        var before = Events(await DumpAsync(Database));
        var again = new InventoryProcessing(Database);
        var state = await again.BeginAsync(2, RunKey, T0.AddHours(2).AddMinutes(1));
        while (state.Phase == ProcessingPhase.Folding) state = await again.FoldAsync(state, 1);
        await again.SummarizeAsync(state);
        Assert.Equal(before, Events(await DumpAsync(Database)));
    }

    [Fact]
    public async Task Text_with_quotes_backslashes_and_non_ascii_comes_through_the_bulk_writes_unchanged()
    {
        const string Title = "Ünïcode \"quoted\" \\ 'single' 雪 %_";
        const string Product = "nginx \"edge\" é";
        var facts = Tls("10.0.0.9", 443, "b.example", "CCCC", "x")
            .Replace("\"title\":\"x\"", "\"title\":" + JsonSerializer.Serialize(Title), StringComparison.Ordinal);
        await RecordAsync(Database, 1, [("10.0.0.9", 443, "open")], [new ServiceRecord("10.0.0.9", 443, "https", Product, "1.24", facts)]);
        await ProcessAsync(Database, 1, sliceRows: 100);

        var queries = new InventoryQueries(Database);
        var service = Assert.Single((await queries.GetAssetAsync("10.0.0.9"))!.Services).Facts;
        Assert.Equal((Title, Product), (service.HttpTitle, service.Product));
        Assert.Equal(["10.0.0.9"], (await queries.SearchAsync(new AssetQuery { Text = "\"edge\" é" })).Assets.Select(a => a.Ip));
    }

    [Fact]
    public async Task Search_matches_substrings_and_filters_narrow_in_address_order_pages()
    {
        await FirstRunAsync(Database);
        await ProcessAsync(Database, 1);
        await SecondRunAsync(Database);
        await ProcessAsync(Database, 2);
        var queries = new InventoryQueries(Database);

        async Task<string[]> Ips(AssetQuery query) => [.. (await queries.SearchAsync(query)).Assets.Select(a => a.Ip)];

        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.4"], await Ips(new AssetQuery()));
        Assert.Equal(["10.0.0.2"], await Ips(new AssetQuery { Text = "A.Examp" }));
        Assert.Equal(["10.0.0.2"], await Ips(new AssetQuery { Text = "nginx" }));
        Assert.Equal(["10.0.0.1"], await Ips(new AssetQuery { Text = "web.ex" }));
        Assert.Equal(["10.0.0.4"], await Ips(new AssetQuery { Text = ".4" }));
        Assert.Empty(await Ips(new AssetQuery { Text = "nothing-like-it" }));
        Assert.Equal(["10.0.0.4"], await Ips(new AssetQuery { Port = 8080 }));
        Assert.Empty(await Ips(new AssetQuery { Port = 80 }));
        Assert.Equal(["10.0.0.2"], await Ips(new AssetQuery { Service = "https" }));
        Assert.Equal(["10.0.0.2"], await Ips(new AssetQuery { CertificateExpiresBefore = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero) }));
        Assert.Empty(await Ips(new AssetQuery { CertificateExpiresBefore = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero) }));
        Assert.Equal(["10.0.0.4"], await Ips(new AssetQuery { FirstSeenSince = T0.AddHours(2) }));

        var first = await queries.SearchAsync(new AssetQuery { Limit = 2 });
        Assert.Equal("10.0.0.2", first.NextAfterIp);
        var second = await queries.SearchAsync(new AssetQuery { Limit = 2, AfterIp = first.NextAfterIp });
        Assert.Equal(["10.0.0.4"], second.Assets.Select(a => a.Ip));
        Assert.Null(second.NextAfterIp);

        var exported = new List<string>();
        await foreach (var s in queries.ExportServicesAsync()) exported.Add($"{s.Facts.Ip}:{s.Facts.Port}");
        Assert.Equal(["10.0.0.1:22", "10.0.0.1:80", "10.0.0.2:443", "10.0.0.4:8080"], exported);
    }

    [Fact]
    public async Task The_port_filter_lists_each_address_with_the_port_live_once_in_address_order_pages()
    {
        static Finding Open(string ip, int port, string proto) => new(ip, port, proto, "open", 64);
        var findings = new FindingsTable(Database);
        // 53 on TCP and UDP at .1 and .3 (each address once), on TCP only at .2 and .5; .4 has only 80.
        await findings.AppendAsync(1, 10, [Open("10.0.1.1", 53, "tcp"), Open("10.0.1.1", 53, "udp"), Open("10.0.1.2", 53, "tcp"), Open("10.0.1.3", 53, "udp"),
            Open("10.0.1.3", 53, "tcp"), Open("10.0.1.4", 80, "tcp"), Open("10.0.1.5", 53, "tcp")], T0, 1_000);
        await ProcessAsync(Database, 1, sliceRows: 3);
        var queries = new InventoryQueries(Database);

        async Task<List<string>> AllPages(int port)
        {
            var ips = new List<string>();
            var page = await queries.SearchAsync(new AssetQuery { Port = port, Limit = 2 });
            for (; ; page = await queries.SearchAsync(new AssetQuery { Port = port, Limit = 2, AfterIp = page.NextAfterIp }))
            {
                ips.AddRange(page.Assets.Select(a => a.Ip));
                if (page.NextAfterIp is null) return ips;
            }
        }

        Assert.Equal(["10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.5"], await AllPages(53));
        Assert.Equal(["10.0.1.4"], await AllPages(80));
        Assert.Equal(["10.0.1.3"], (await queries.SearchAsync(new AssetQuery { Port = 53, Text = "0.1.3" })).Assets.Select(a => a.Ip));
        Assert.Equal(2, (await queries.GetAssetAsync("10.0.1.1"))!.Asset.Services);

        // The next run no longer sees 53 at .2 (nor anything at .2): gone services do not match.
        await findings.AppendAsync(2, 20, [Open("10.0.1.1", 53, "tcp"), Open("10.0.1.1", 53, "udp"), Open("10.0.1.3", 53, "udp"), Open("10.0.1.3", 53, "tcp"),
            Open("10.0.1.4", 80, "tcp"), Open("10.0.1.5", 53, "tcp")], T0, 1_000);
        await ProcessAsync(Database, 2, sliceRows: 3);
        Assert.Equal(["10.0.1.1", "10.0.1.3", "10.0.1.5"], await AllPages(53));
        Assert.Equal(0, (await queries.GetAssetAsync("10.0.1.2"))!.Asset.Services);
    }

    [Fact]
    public async Task A_processing_resumed_after_the_database_closed_mid_way_ends_as_an_uninterrupted_one()
    {
        await FirstRunAsync(Database);
        await ProcessAsync(Database, 1);
        await SecondRunAsync(Database);
        var expected = await DumpAsync(Database, afterSecond: true);

        await using var interrupted = await OpenAsync();
        await FirstRunAsync(interrupted);
        await ProcessAsync(interrupted, 1);
        await SecondRunAsync(interrupted);
        var paused = await ProcessAsync(interrupted, 2, sliceRows: 1, stopAfterSlices: 1);
        Assert.Equal(ProcessingPhase.Folding, paused.Phase);
        Assert.InRange(paused.Processed, 1, paused.Total - 1);
        Assert.Null(await new InventoryQueries(interrupted).GetChangesAsync(2));

        // Resume from the committed row (as a restarted daemon does), folding each remaining slice once.
        var resumed = await new InventoryProcessing(interrupted).GetAsync(2);
        Assert.Equal(paused, resumed);
        var state = await new InventoryProcessing(interrupted).BeginAsync(2, RunKey, T0.AddHours(2));
        Assert.Equal(paused, state);
        while (state.Phase == ProcessingPhase.Folding) state = await new InventoryProcessing(interrupted).FoldAsync(state, 1);
        await new InventoryProcessing(interrupted).SummarizeAsync(state);
        await ProcessAsync(Database, 2, sliceRows: 1000);
        Assert.Equal(await DumpAsync(Database), await DumpAsync(interrupted));
        Assert.NotEqual(expected, await DumpAsync(Database));
    }

    /// <summary>The inventory's tables as text, for comparing two databases.</summary>
    private static Task<string> DumpAsync(RecordsDatabase database, bool afterSecond = false) =>
        database.ReadAsync(async (connection, ct) =>
        {
            var text = new System.Text.StringBuilder(afterSecond ? "after-second\n" : "");
            foreach (var table in (string[])["inventory_assets", "inventory_services", "inventory_sightings", "inventory_history", "inventory_scan_services",
                         "inventory_changes", "inventory_processing"])
            {
                var order = table switch
                {
                    "inventory_assets" => "ip",
                    "inventory_changes" => "scan_id, kind, ip, port, proto",
                    "inventory_processing" => "scan_id",
                    "inventory_scan_services" => "scan_id, ip, port, proto",
                    "inventory_history" => "ip, scan_id, kind, port, proto",
                    "inventory_sightings" => "ip, scan_id",
                    _ => "ip, port, proto",
                };
                var columns = table == "inventory_assets" ? "ip, hostnames, first_seen, last_seen, first_scan, last_scan, services, search" : "*";
                await using var select = connection.Command($"SELECT {columns} FROM {table} ORDER BY {order}");
                await using var reader = await select.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    text.Append(table);
                    for (var i = 0; i < reader.FieldCount; i++) text.Append('|').Append(reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture));
                    text.Append('\n');
                }
            }

            return text.ToString();
        });
}

public sealed class SqliteInventoryProcessingTests : InventoryProcessingContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("outpost-inventory-").FullName;

    protected override Task<string> NewLocationAsync() => Task.FromResult(Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".db"));

    protected override async Task<RecordsDatabase> OpenAtAsync(string location, IReadOnlyList<Migration> migrations) =>
        await RecordsDatabase.OpenSqliteAsync(location, create: true, NullLoggerFactory.Instance, migrations);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class PostgresInventoryProcessingTests(PostgresDatabase database) : InventoryProcessingContract, IClassFixture<PostgresDatabase>
{
    protected override Task<string> NewLocationAsync() => database.FreshSchemaAsync();

    protected override async Task<RecordsDatabase> OpenAtAsync(string location, IReadOnlyList<Migration> migrations) =>
        await RecordsDatabase.OpenPostgresAsync(location, NullLoggerFactory.Instance, migrations);
}
