using System.Text.Json.Nodes;

namespace Outpost.Ui.Tests.Infrastructure;

/// <summary>
/// The data the UI tests look at, made through the real APIs: scanners created by the admin
/// API, scans split into jobs by the daemon, and jobs driven through the scanner protocol with
/// the scanners' keys. No packets are sent; it is all bookkeeping. Each scan is created and its
/// jobs claimed before the next, so every job's fate is known whatever the daemon's split is.
/// Each scan has its own /28, so a test can find "its" jobs by searching the network.
/// </summary>
public sealed class Seed
{
    public const string TimeoutError = "connection timed out to 10.77.2.3";
    public const string RefusedError = "connection refused by 10.77.3.9";

    public required ApplianceApi.ScannerInfo Berlin { get; init; }
    public required ApplianceApi.ScannerInfo Frankfurt { get; init; }
    /// <summary>Used only by the create-and-stop scan test.</summary>
    public required ApplianceApi.ScannerInfo StopTest { get; init; }
    /// <summary>10.77.1.0/28: running (started, with progress).</summary>
    public required IReadOnlyList<long> RunningJobs { get; init; }
    /// <summary>10.77.2.0/28: failed with <see cref="TimeoutError"/>.</summary>
    public required IReadOnlyList<long> TimeoutJobs { get; init; }
    /// <summary>10.77.3.0/28: failed with <see cref="RefusedError"/>.</summary>
    public required IReadOnlyList<long> RefusedJobs { get; init; }
    /// <summary>10.77.4.0/28: completed, with findings.</summary>
    public required IReadOnlyList<long> CompletedJobs { get; init; }
    /// <summary>10.77.22.0/28 on dc-amsterdam-03: failed with "no route to host".</summary>
    public required IReadOnlyList<long> OtherFailedJobs { get; init; }
    public int FailedCount => TimeoutJobs.Count + RefusedJobs.Count + OtherFailedJobs.Count;
    public required long RunningScanId { get; init; }
    public required long CompletedScanId { get; init; }
    public required string CompletedScanName { get; init; }
    /// <summary>True when the daemon accepted a one-off scan scheduled for tomorrow.</summary>
    public required bool HasScheduledScan { get; init; }

    public static async Task<Seed> CreateAsync(ApplianceApi api)
    {
        var berlin = await api.CreateScannerAsync("edge-berlin-01");
        var frankfurt = await api.CreateScannerAsync("dc-frankfurt-02");
        var stopTest = await api.CreateScannerAsync("lab-stoptest");
        await api.HeartbeatAsync(berlin, "0.1.0");
        await api.HeartbeatAsync(frankfurt, "0.1.0");
        await api.HeartbeatAsync(stopTest, "0.1.0");

        // Claim anything that might already be queued for these new scanners (nothing, normally).
        await api.ClaimAllAsync(berlin);
        await api.ClaimAllAsync(frankfurt);

        var dmz = await api.CreateScanAsync("DMZ sweep", ["10.77.1.0/28"], "22,80,443", [berlin]);
        var running = await NonEmpty(api.ClaimAllAsync(berlin), "DMZ sweep");
        foreach (var id in running)
        {
            await api.StartAsync(berlin, id);
            await api.ProgressAsync(berlin, id, 12, 1);
            await api.ProgressAsync(berlin, id, 30, 2);
            await api.ResultsAsync(berlin, id, [("10.77.1.4", 443, "open"), ("10.77.1.11", 22, "open")]);
        }

        await api.CreateScanAsync("Branch offices", ["10.77.2.0/28"], "22,443", [berlin]);
        var timeouts = await NonEmpty(api.ClaimAllAsync(berlin), "Branch offices");
        foreach (var id in timeouts)
        {
            await api.StartAsync(berlin, id);
            await api.CompleteAsync(berlin, id, "failed", TimeoutError);
        }

        await api.CreateScanAsync("Lab network", ["10.77.3.0/28"], "22,3389", [frankfurt]);
        var refused = await NonEmpty(api.ClaimAllAsync(frankfurt), "Lab network");
        foreach (var id in refused)
        {
            await api.StartAsync(frankfurt, id);
            await api.CompleteAsync(frankfurt, id, "failed", RefusedError);
        }

        var core = await api.CreateScanAsync("Datacenter core", ["10.77.4.0/28"], "22,80,443", [frankfurt]);
        var completed = await NonEmpty(api.ClaimAllAsync(frankfurt), "Datacenter core");
        foreach (var id in completed)
        {
            await api.StartAsync(frankfurt, id);
            await api.ProgressAsync(frankfurt, id, 48, 3);
            await api.ResultsAsync(frankfurt, id, [("10.77.4.1", 22, "open"), ("10.77.4.1", 443, "open"), ("10.77.4.7", 80, "closed")]);
            await api.CompleteAsync(frankfurt, id, "completed", resultCount: 3);
        }

        // Background activity on a third scanner, so the pages look like a working appliance.
        var amsterdam = await api.CreateScannerAsync("dc-amsterdam-03");
        await api.HeartbeatAsync(amsterdam, "0.1.0");
        var otherFailed = new List<long>();
        foreach (var (name, net, outcome) in new[]
        {
            ("Finance VLAN", "10.77.20.0/28", "completed"), ("Warehouse cameras", "10.77.21.0/28", "completed"),
            ("Guest Wi-Fi", "10.77.22.0/28", "failed"), ("VoIP phones", "10.77.23.0/28", "completed"), ("Build farm", "10.77.24.0/28", "running"),
        })
        {
            await api.CreateScanAsync(name, [net], "22,80,443,8080", [amsterdam]);
            var octets = net[..net.LastIndexOf('.')];
            foreach (var id in await NonEmpty(api.ClaimAllAsync(amsterdam), name))
            {
                await api.StartAsync(amsterdam, id);
                await api.ProgressAsync(amsterdam, id, outcome == "running" ? 22 : 64, 2);
                await api.ResultsAsync(amsterdam, id, [($"{octets}.2", 22, "open"), ($"{octets}.9", 443, "open")]);
                if (outcome == "failed")
                {
                    await api.CompleteAsync(amsterdam, id, "failed", $"no route to host {octets}.1");
                    otherFailed.Add(id);
                }
                else if (outcome == "completed")
                {
                    await api.CompleteAsync(amsterdam, id, "completed", resultCount: 2);
                }
            }
        }

        // Read, change, write back: the document may hold fields this test does not know.
        var settings = (await api.GetAsync("/api/settings/scan")).AsObject();
        settings["windows"] = new JsonArray(new JsonObject { ["days"] = new JsonArray("mon", "tue", "wed", "thu", "fri"), ["start"] = "22:00", ["end"] = "06:00" });
        settings["subnetLimits"] = new JsonArray(new JsonObject { ["cidr"] = "10.77.0.0/16", ["maxProbesPerSecond"] = 5000 });
        settings["portLists"] = new JsonArray(new JsonObject { ["name"] = "web", ["ports"] = "80,443,8000-8100", ["maxProbesPerSecond"] = 20000 });
        await api.PutAsync("/api/settings/scan", settings);

        // Left queued: nobody claims for Frankfurt again.
        await api.CreateScanAsync("Printer audit", ["10.77.5.0/28"], "9100,631", [frankfurt]);

        var scheduled = false;
        try
        {
            await api.CreateScanAsync("Quarterly PCI scope", ["10.77.6.0/28"], "22,443,3389", [berlin],
                new JsonObject { ["at"] = DateTimeOffset.UtcNow.AddDays(1).ToString("O") });
            scheduled = true;
        }
        catch (InvalidOperationException)
        {
            // Scheduling is optional for these tests; the screenshot simply shows one scan less.
        }

        return new Seed
        {
            Berlin = berlin,
            Frankfurt = frankfurt,
            StopTest = stopTest,
            RunningJobs = running,
            TimeoutJobs = timeouts,
            RefusedJobs = refused,
            CompletedJobs = completed,
            OtherFailedJobs = otherFailed,
            RunningScanId = long.Parse(dmz["id"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture),
            CompletedScanId = long.Parse(core["id"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture),
            CompletedScanName = "Datacenter core",
            HasScheduledScan = scheduled,
        };
    }

    private static async Task<List<long>> NonEmpty(Task<List<long>> claim, string scan)
    {
        var ids = await claim;
        if (ids.Count == 0)
        {
            throw new InvalidOperationException($"scan \"{scan}\" produced no job its scanner could claim");
        }

        return ids;
    }
}
