using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;

namespace Outpost.EndToEnd.Tests;

/// <summary>The appliance's built-in scanner (<c>local</c>) running a scan in-process, with real packets into the test's namespace.</summary>
public sealed class BuiltInScannerTests
{
    private static readonly Dictionary<string, string?> FastPolling = new()
    {
        ["Outpost__BuiltInScanner__PollInterval"] = "00:00:00.300",
    };

    [Fact]
    public async Task The_built_in_scanner_registers_once_claims_from_the_store_and_finds_exactly_the_open_ports()
    {
        using var network = TargetNetwork.Create(22, 443, 1099);
        using var directory = new TempDirectory();
        long localId;
        using (var daemon = await DaemonProcess.StartAsync(directory, environment: FastPolling, builtInScanner: true))
        {
            using var api = new Api(daemon.BaseAddress);
            localId = await WaitForLocalScannerAsync(api, daemon);

            var scanId = await api.CreateScanAsync(network.Targets, [localId], "22,80,443,1000-1100", maxProbesPerSecond: 5000, name: "built-in e2e");
            var scan = await Scans.WaitAsync(api, scanId, Scans.Ended, TimeSpan.FromSeconds(60), () => daemon.Output);

            Assert.True(Scans.Is(scan, "completed"), $"{scan}\n{daemon.Output}");
            Assert.Equal(network.ExpectedOpen, await Scans.OpenPortsAsync(api, scanId));
            Scans.AssertAllJobsCompleted(scan);
            Assert.Equal(TargetNetwork.AddressCount, scan.GetProperty("progressCount").GetInt64());
            Assert.Equal(network.ExpectedOpen.Count, scan.GetProperty("resultCount").GetInt64());
            Assert.True(Scans.Scanner((await api.AdminAsync(HttpMethod.Get, "/api/scanners")).Json, localId).GetProperty("online").GetBoolean());
            daemon.Terminate();
            Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)), daemon.Output);
        }

        // A restart reuses the registration: still one scanner named local, with the same id.
        using var restarted = await DaemonProcess.StartAsync(directory, environment: FastPolling, builtInScanner: true);
        using var again = new Api(restarted.BaseAddress);
        Assert.Equal(localId, await WaitForLocalScannerAsync(again, restarted));
    }

    private static async Task<long> WaitForLocalScannerAsync(Api api, DaemonProcess daemon)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var scanners = (await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json.GetProperty("scanners").EnumerateArray()
                .Where(s => s.GetProperty("name").GetString() == "local").ToList();
            Assert.True(scanners.Count <= 1, "more than one scanner named local");
            if (scanners is [var local] && local.GetProperty("online").GetBoolean())
            {
                return local.GetProperty("id").GetInt64();
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the built-in scanner did not register and come online:\n" + daemon.Output);
    }
}
