using Outpost.Store.Model;

namespace Outpost.Store.Tests.Contract;

// Claims by capability (docs/capabilities.md), on both backends: a claim hands a scanner only jobs of the names it
// asks for; the others stay queued for it until it can run them.
public abstract partial class StoreContract
{
    private static readonly string[] PortscanAndFingerprint = ["portscan", "fingerprint"];
    private static readonly string[] PortscanAndScreenshot = ["portscan", "screenshot"];

    protected async Task<Scan> CapabilityScanAsync(string capability, int jobs, params Scanner[] scanners)
    {
        var spec = new ScanSpec
        {
            Name = capability, Capability = capability, Targets = ["10.77.0.0/16"], Ports = "80", ScannerIds = [.. scanners.Select(s => s.Id)],
        };
        return await Store.CreateScanAsync(spec, ScanStatus.Running, [.. Enumerable.Range(0, jobs).Select(i => JobFor(scanners[i % scanners.Length], i, capability))], Now);
    }

    [Fact]
    public async Task A_scanner_without_screenshot_never_gets_a_screenshot_job_and_one_with_it_does()
    {
        var plain = await ScannerAsync("plain");
        var browser = await ScannerAsync("browser");
        var shots = await CapabilityScanAsync("screenshot", 4, plain, browser);
        var ports = await ScanAsync(2, false, "ports", plain);
        Assert.Equal("screenshot", Store.GetScan(shots.Id)!.Spec.Capability);
        Assert.Equal(ScanSpec.DefaultCapability, Store.GetScan(ports.Id)!.Spec.Capability);

        var plainGot = await Store.ClaimAsync(plain.Id, 10, null, Now, jobNames: PortscanAndFingerprint);
        Assert.Equal(2, plainGot.Count);
        Assert.All(plainGot, j => Assert.Equal(("portscan", ports.Id), (j.Name, j.ScanId)));
        Assert.Empty(await Store.ClaimAsync(plain.Id, 10, null, Now, jobNames: PortscanAndFingerprint));

        var browserGot = await Store.ClaimAsync(browser.Id, 10, null, Now, jobNames: PortscanAndScreenshot);
        Assert.Equal(2, browserGot.Count);
        Assert.All(browserGot, j => Assert.Equal(("screenshot", shots.Id, browser.Id), (j.Name, j.ScanId, j.ScannerId)));

        // The plain scanner's screenshot jobs waited in the queue: once it can run them, it gets them.
        Assert.Equal(2, Store.ListScanJobs(shots.Id).Count(j => j.ScannerId == plain.Id && j.Status == JobStatus.Queued));
        var later = await Store.ClaimAsync(plain.Id, 10, null, Now, jobNames: ["screenshot"]);
        Assert.Equal(2, later.Count);
        Assert.All(later, j => Assert.Equal("screenshot", j.Name));
    }

    [Fact]
    public async Task A_heartbeat_records_the_capabilities_and_one_without_them_keeps_them()
    {
        var scanner = await ScannerAsync();
        Assert.Null(Store.GetScanner(scanner.Id)!.Capabilities);
        ScannerCapability[] advertised = [new("portscan", "1.2.3"), new("screenshot", "1.2.3")];

        Assert.Equal(StoreStatus.Ok, await Store.RecordHeartbeatAsync(scanner.Id, Now, null, "1.2.3", advertised));
        Assert.Equal(advertised, Store.GetScanner(scanner.Id)!.Capabilities);
        Assert.Equal(StoreStatus.Ok, await Store.RecordHeartbeatAsync(scanner.Id, Now.AddSeconds(30), null, null));
        Assert.Equal(advertised, Store.GetScanner(scanner.Id)!.Capabilities);
        Assert.Equal(advertised, Assert.Single(Store.ListScanners()).Capabilities);
    }
}
