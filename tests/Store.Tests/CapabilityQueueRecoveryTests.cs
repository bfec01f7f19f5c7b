using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Model;

namespace Outpost.Store.Tests;

/// <summary>
/// The FASTER store keeps a claim queue per capability in memory; after a restart they are rebuilt from the job log,
/// so a job still goes only to a claim that asks for its capability.
/// </summary>
public sealed class CapabilityQueueRecoveryTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "outpost-capq-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Queued_jobs_keep_their_capability_across_a_restart()
    {
        long scannerId;
        await using (var store = await FasterOutpostStore.OpenAsync(TempStore.Options(_directory), NullLoggerFactory.Instance))
        {
            scannerId = (await store.CreateScannerAsync("s", new byte[32], [], null, Now)).Id;
            foreach (var capability in new[] { "crawler", "portscan" })
            {
                var spec = new ScanSpec { Name = capability, Capability = capability, Targets = ["10.0.0.0/24"], Ports = "80", ScannerIds = [scannerId] };
                await store.CreateScanAsync(spec, ScanStatus.Running, [new NewJob(scannerId, capability, [new JobTarget("10.0.0.0/24", "80")], 100)], Now);
            }
        }

        await using var reopened = await FasterOutpostStore.OpenAsync(TempStore.Options(_directory), NullLoggerFactory.Instance);
        Assert.Equal("portscan", Assert.Single(await reopened.ClaimAsync(scannerId, 10, null, Now, jobNames: ["portscan"])).Name);
        Assert.Empty(await reopened.ClaimAsync(scannerId, 10, null, Now, jobNames: ["portscan"]));
        Assert.Equal("crawler", Assert.Single(await reopened.ClaimAsync(scannerId, 10, null, Now, jobNames: ["crawler"])).Name);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}

/// <summary>Scans written before capabilities existed carry no capability in their JSON: both backends read them as port scans.</summary>
public sealed class ScanSpecCompatibilityTests
{
    [Fact]
    public void A_spec_without_a_capability_reads_as_a_port_scan()
    {
        const string Old = """{"name":"old","targets":["10.0.0.0/24"],"ports":"22","scannerIds":[1],"automated":false}""";
        Assert.Equal(ScanSpec.DefaultCapability, System.Text.Json.JsonSerializer.Deserialize(Old, Outpost.Store.Postgres.PostgresJson.Default.ScanSpec)!.Capability);
        var change = System.Text.Json.JsonSerializer.Deserialize(
            """{"t":"scan","scan":{"id":1,"spec":""" + Old + ""","status":1,"createdAt":1,"startedAt":0,"finishedAt":0,"jobRanges":[]}}""",
            Outpost.Store.Faster.StoreJson.Default.CatalogChange);
        Assert.Equal(ScanSpec.DefaultCapability, Assert.IsType<Outpost.Store.Faster.ScanPut>(change).Scan.Spec.Capability);
    }
}
