using Microsoft.Extensions.DependencyInjection;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Appliance.Tests.ScaleOut;

namespace Outpost.Appliance.Tests.Assets;

/// <summary>
/// Search by address and name on the Jobs and Scans pages (docs/admin-api.md): an address finds the jobs and scans
/// whose targets contain it, and a hostname the inventory knows the jobs and scans that covered its address, over real
/// HTTP, on the embedded store and on PostgreSQL.
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

    [Fact]
    public async Task A_hostname_the_inventory_knows_finds_the_jobs_and_scans_that_covered_its_address_on_the_embedded_store()
    {
        await using var daemon = await Daemon.StartAsync();
        await SearchesByHostnameAsync(daemon.Api, () => daemon.Service<InventoryProcessor>().ProcessPendingAsync());
    }

    [Fact]
    public async Task A_hostname_the_inventory_knows_finds_the_jobs_and_scans_that_covered_its_address_on_postgresql()
    {
        await using var node = await IngestNode.StartAsync(await postgres.NewDatabaseAsync());
        await SearchesByHostnameAsync(node.Api, () => node.App.Services.GetRequiredService<InventoryProcessor>().ProcessPendingAsync());
    }

    /// <summary>A fingerprint of 10.1.2.0/24 finds web01.example's certificate on 10.1.2.7; then the name finds the jobs over that block.</summary>
    private static async Task SearchesByHostnameAsync(Api api, Func<Task<int>> process)
    {
        var (scanner, key) = await api.CreateScannerAsync("edge");
        (await api.ScannerAsync(key, HttpMethod.Post, "/scanner/heartbeat", new { capabilities = new[] { "portscan", "fingerprint" } })).AssertOk();
        var other = await api.CreateScanAsync(["10.1.3.0/24"], [scanner], name: "elsewhere");
        var fingerprint = (await api.AdminAsync(HttpMethod.Post, "/api/scans", new
        {
            name = "certificates", capability = "fingerprint", targets = new[] { "10.1.2.0/24" }, ports = "443", scannerIds = new[] { scanner },
        })).AssertOk(201).Json.GetProperty("id").GetInt64();
        var job = (await api.AdminAsync(Get, $"/api/jobs?scanId={fingerprint}")).AssertOk().Json.GetProperty("jobs")[0].GetProperty("jobId").GetInt64();
        Assert.Contains(job, Api.JobIds(await api.ClaimAsync(key, "10")));
        (await api.ScannerAsync(key, HttpMethod.Post, $"/scanner/jobs/{job}/start")).AssertOk();
        (await api.ScannerAsync(key, HttpMethod.Post, $"/scanner/jobs/{job}/results", new
        {
            services = new[]
            {
                new
                {
                    ip = "10.1.2.7", port = 443, proto = "tcp", service = "https", product = "nginx", version = "1.22.1",
                    tls = new
                    {
                        version = "TLSv1.3", cipher = "TLS_AES_256_GCM_SHA384", subject = "CN=web01.example", issuer = "CN=web01.example",
                        sans = new[] { "web01.example" }, notBefore = "2026-01-01T00:00:00+00:00", notAfter = "2027-01-01T00:00:00+00:00", selfSigned = true,
                        keyType = "RSA", keyBits = 2048, sha256 = new string('c', 64),
                    },
                },
            },
        })).AssertOk();
        (await api.ScannerAsync(key, HttpMethod.Post, $"/scanner/jobs/{job}/complete", new { status = "completed" })).AssertOk();
        await process();

        // The fingerprint's job, and those of its follow-ups (a screenshot, a crawl and the vulnerability checks of
        // 10.1.2.7); not the other block's.
        var followUps = (await api.AdminAsync(Get, "/api/scans")).AssertOk().Json.GetProperty("scans").EnumerateArray()
            .Where(s => s.TryGetProperty("followUpOf", out var of) && of.ValueKind == System.Text.Json.JsonValueKind.Number && of.GetInt64() == fingerprint)
            .Select(s => s.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(3, followUps.Count);
        long[] covering = [.. followUps.Append(fingerprint).Order()];
        var jobs = (await api.AdminAsync(Get, "/api/jobs?q=WEB01.example")).AssertOk().Json.GetProperty("jobs").EnumerateArray()
            .Select(j => j.GetProperty("scanId").GetInt64()).Order().ToList();
        Assert.Equal(covering, jobs);
        var scans = (await api.AdminAsync(Get, "/api/scans?q=web01.example")).AssertOk().Json.GetProperty("scans").EnumerateArray()
            .Select(s => s.GetProperty("id").GetInt64()).Order().ToList();
        Assert.Equal(covering, scans);
        Assert.DoesNotContain(other, scans);
        Assert.Empty((await api.AdminAsync(Get, "/api/jobs?q=web02.example")).AssertOk().Json.GetProperty("jobs").EnumerateArray());
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
