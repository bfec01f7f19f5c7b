using Outpost.Store.Records.Inventory;

namespace Outpost.Store.Tests.Records;

/// <summary>Reverse DNS names in the inventory: which addresses are due a lookup, and the names joining the hostnames and the search (docs/inventory.md).</summary>
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
}
