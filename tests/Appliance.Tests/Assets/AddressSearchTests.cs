using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Appliance.Tests.ScaleOut;

namespace Outpost.Appliance.Tests.Assets;

/// <summary>
/// Search by address and name on the Jobs and Scans pages (docs/admin-api.md): an address finds the jobs and scans
/// whose targets contain it, over real HTTP, on the embedded store and on PostgreSQL.
/// </summary>
[Collection(ScaleOutGroup.Name)]
public sealed class AddressSearchTests(SharedPostgres postgres)
{
    private static readonly HttpMethod Get = HttpMethod.Get;

    [Fact]
    public async Task An_address_finds_the_jobs_and_scans_that_contain_it_on_the_embedded_store()
    {
        await using var daemon = await Daemon.StartAsync();
        await SearchesByAddressAsync(daemon.Api);
    }

    [Fact]
    public async Task An_address_finds_the_jobs_and_scans_that_contain_it_on_postgresql()
    {
        await using var node = await IngestNode.StartAsync(await postgres.NewDatabaseAsync());
        await SearchesByAddressAsync(node.Api);
    }

    private static async Task SearchesByAddressAsync(Api api)
    {
        var (scanner, _) = await api.CreateScannerAsync("edge");
        var wide = await api.CreateScanAsync(["10.0.0.0/20"], [scanner], name: "campus"); // 16 jobs of a /24 each
        var ranged = await api.CreateScanAsync(["192.168.7.10-192.168.7.20"], [scanner], name: "lab");

        async Task<(long ScanId, string Targets)[]> JobsAsync(string q) =>
        [
            .. (await api.AdminAsync(Get, "/api/jobs?q=" + Uri.EscapeDataString(q))).AssertOk().Json.GetProperty("jobs").EnumerateArray()
                .Select(j => (j.GetProperty("scanId").GetInt64(), string.Join(' ', j.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("cidr").GetString())))),
        ];
        async Task<long[]> ScansAsync(string q) =>
        [
            .. (await api.AdminAsync(Get, "/api/scans?q=" + Uri.EscapeDataString(q))).AssertOk().Json.GetProperty("scans").EnumerateArray()
                .Select(s => s.GetProperty("id").GetInt64()),
        ];

        // Typing an address inside a block finds the job over that block, though its text does not contain it.
        Assert.Equal([(wide, "10.0.5.0/24")], await JobsAsync("10.0.5.7"));
        Assert.Equal([(ranged, "192.168.7.10-192.168.7.20")], await JobsAsync(" 192.168.7.15 "));
        Assert.Empty(await JobsAsync("192.168.7.21"));
        Assert.Equal([wide], await ScansAsync("10.0.5.7"));
        Assert.Equal([ranged], await ScansAsync("192.168.7.15"));
        Assert.Empty(await ScansAsync("10.0.16.1"));

        // Text still matches as before: part of an address, a name.
        Assert.Equal(16, (await JobsAsync("10.0.")).Length);
        Assert.Equal([ranged], await ScansAsync("LAB"));
        Assert.Equal([ranged, wide], await ScansAsync("portscan"));

        (await api.AdminAsync(Get, "/api/scans?q=" + new string('x', 201))).AssertError(400, "BAD_REQUEST");
    }
}
