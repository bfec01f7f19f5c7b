using Outpost.Store.Records;
using Outpost.Store.Records.Inventory;

namespace Outpost.Store.Tests.Records;

/// <summary>
/// Reverse DNS names in the inventory: which addresses are due a lookup, the names joining the hostnames and the search,
/// and each answered lookup replacing the names the last one gave (docs/inventory.md).
/// </summary>
public abstract partial class InventoryProcessingContract
{
    [Fact]
    public async Task Reverse_dns_names_join_the_hostnames_and_the_search_and_an_address_is_due_again_after_the_refresh_age()
    {
        await FirstRunAsync(Database);
        await ProcessAsync(Database, 1);
        var names = new ReverseDnsNames(Database);
        var queries = new InventoryQueries(Database);
        Assert.Equal(["10.0.0.1", "10.0.0.2"], await names.DueAsync(T0, 10));

        // 10.0.0.2 already has a.example from its certificate: the name is not repeated, but marked as reverse DNS's too.
        await names.RecordAsync([("10.0.0.1", ["host1.lab.example"]), ("10.0.0.2", ["a.example", "ptr2.lab.example"])], T0.AddDays(1));
        Assert.Empty(await names.DueAsync(T0, 10));
        var one = (await queries.GetAssetAsync("10.0.0.1"))!.Asset;
        Assert.Equal(["host1.lab.example"], one.DnsNames);
        Assert.Contains("host1.lab.example", one.Hostnames);
        Assert.Contains("web.example", one.Hostnames);
        var two = (await queries.GetAssetAsync("10.0.0.2"))!.Asset;
        Assert.Equal(["a.example", "ptr2.lab.example"], two.DnsNames);
        Assert.Equal(["a.example", "ptr2.lab.example"], two.Hostnames);
        Assert.Equal(["10.0.0.2"], (await queries.SearchAsync(new AssetQuery { Text = "ptr2.lab" })).Assets.Select(a => a.Ip));

        // Folding a later scan of the address keeps the names, and the search still finds them.
        await SecondRunAsync(Database);
        await ProcessAsync(Database, 2);
        Assert.Equal(["10.0.0.1"], (await queries.SearchAsync(new AssetQuery { Text = "host1.lab" })).Assets.Select(a => a.Ip));
        Assert.Equal(["host1.lab.example"], (await queries.GetAssetAsync("10.0.0.1"))!.Asset.DnsNames);

        // A lookup that found nothing is recorded too; the new address of the second run is due, then the stale ones, oldest first.
        Assert.Equal(["10.0.0.4"], await names.DueAsync(T0, 10));
        await names.RecordAsync([("10.0.0.4", [])], T0.AddDays(2));
        Assert.Empty((await queries.GetAssetAsync("10.0.0.4"))!.Asset.DnsNames);
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.4"], await names.DueAsync(T0.AddDays(3), 10));
        Assert.Equal(["10.0.0.1"], await names.DueAsync(T0.AddDays(3), 1));
    }

    private static async Task<IReadOnlyList<string>> FoundAsync(InventoryQueries queries, string text) =>
        [.. (await queries.SearchAsync(new AssetQuery { Text = text })).Assets.Select(a => a.Ip)];

    [Fact]
    public async Task A_later_lookup_replaces_the_names_reverse_dns_gave_and_a_name_a_scan_found_stays()
    {
        await FirstRunAsync(Database);
        await ProcessAsync(Database, 1);
        var names = new ReverseDnsNames(Database);
        var queries = new InventoryQueries(Database);
        await names.RecordAsync([("10.0.0.1", ["old.lab.example"]), ("10.0.0.2", ["a.example", "ptr2.lab.example"])], T0.AddDays(1));

        // 10.0.0.1's PTR record changed; 10.0.0.2's are gone, but its certificate still names a.example.
        await names.RecordAsync([("10.0.0.1", ["new.lab.example"]), ("10.0.0.2", [])], T0.AddDays(9));
        var one = (await queries.GetAssetAsync("10.0.0.1"))!.Asset;
        Assert.Equal(["new.lab.example"], one.DnsNames);
        Assert.Equal(["new.lab.example", "web.example"], one.Hostnames);
        var two = (await queries.GetAssetAsync("10.0.0.2"))!.Asset;
        Assert.Empty(two.DnsNames);
        Assert.Equal(["a.example"], two.Hostnames);
        Assert.Empty(await FoundAsync(queries, "old.lab"));
        Assert.Empty(await FoundAsync(queries, "ptr2.lab"));
        Assert.Equal(["10.0.0.1"], await FoundAsync(queries, "new.lab"));
        // The search text is rebuilt whole: the services' words stay in it.
        Assert.Equal(["10.0.0.2"], await FoundAsync(queries, "a.example"));
        Assert.Equal(["10.0.0.2"], await FoundAsync(queries, "nginx"));

        // A later fold keeps the names as the last lookup left them, the old one does not come back.
        await SecondRunAsync(Database);
        await ProcessAsync(Database, 2);
        Assert.Equal(["new.lab.example", "web.example"], (await queries.GetAssetAsync("10.0.0.1"))!.Asset.Hostnames);
        Assert.Equal(["a.example"], (await queries.GetAssetAsync("10.0.0.2"))!.Asset.Hostnames);
        Assert.Empty(await FoundAsync(queries, "old.lab"));
    }

    [Fact]
    public async Task A_lookup_that_failed_keeps_the_names_and_the_address_is_due_again_after_the_refresh_age()
    {
        await FirstRunAsync(Database);
        await ProcessAsync(Database, 1);
        var names = new ReverseDnsNames(Database);
        await names.RecordAsync([("10.0.0.1", ["host1.lab.example"]), ("10.0.0.2", [])], T0.AddDays(1));

        await names.RecordAsync([("10.0.0.1", null)], T0.AddDays(9));
        var one = (await new InventoryQueries(Database).GetAssetAsync("10.0.0.1"))!.Asset;
        Assert.Equal(["host1.lab.example"], one.DnsNames);
        Assert.Contains("host1.lab.example", one.Hostnames);
        Assert.Equal(["10.0.0.2"], await names.DueAsync(T0.AddDays(8), 10));
    }

    [Fact]
    public async Task An_upgraded_inventory_tells_the_names_scans_found_from_those_reverse_dns_gave()
    {
        // The inventory as the release before inventory-4-scan-names left it: one list of hostnames, reverse DNS's among
        // them. 10.0.0.2's certificate and its PTR record both gave a.example; a scan found odd"name.
        var location = await NewLocationAsync();
        await using (var old = await OpenAtAsync(location, [.. RecordsSchema.All.TakeWhile(m => m.Id != "inventory-4-scan-names")]))
        {
            await old.WriteAsync(async (connection, transaction, ct) =>
            {
                await using var insert = connection.Command("""
                    INSERT INTO inventory_assets (ip, hostnames, dns_names, first_seen, last_seen, first_scan, last_scan, services, search) VALUES
                        ('10.0.0.1', 'web.example', '', 0, 0, 1, 1, 0, '10.0.0.1 web.example'),
                        ('10.0.0.2', 'a.example host2.lab.example odd"name ptr2.lab.example', 'a.example ptr2.lab.example', 0, 0, 1, 1, 0, '10.0.0.2')
                    """, transaction);
                return (true, await insert.ExecuteNonQueryAsync(ct));
            });
        }

        await using var upgraded = await OpenAtAsync(location, RecordsSchema.All);
        var scanNames = await upgraded.ReadAsync(async (connection, ct) =>
        {
            await using var select = connection.Command("SELECT ip, scan_names FROM inventory_assets ORDER BY ip");
            return await select.ReadAllAsync(r => (r.GetString(0), r.GetString(1)), ct);
        });
        Assert.Equal([("10.0.0.1", "web.example"), ("10.0.0.2", "host2.lab.example odd\"name")], scanNames);

        await new ReverseDnsNames(upgraded).RecordAsync([("10.0.0.2", ["ptr9.lab.example"])], T0);
        var two = (await new InventoryQueries(upgraded).GetAssetAsync("10.0.0.2"))!.Asset;
        Assert.Equal(["host2.lab.example", "odd\"name", "ptr9.lab.example"], two.Hostnames);
        Assert.Equal(["ptr9.lab.example"], two.DnsNames);
    }
}
