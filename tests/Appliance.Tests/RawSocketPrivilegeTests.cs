using System.Globalization;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>
/// The daemon keeps CAP_NET_RAW only while its built-in scanner may send probes. Run as root (as CI runs), where the
/// process starts with every capability, so "gave it up" is visible in /proc; the other capabilities stay.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RawSocketPrivilegeTests
{
    private const int CapNetBindService = 10;

    [Fact]
    public async Task With_the_built_in_scanner_off_the_daemon_drops_cap_net_raw_and_still_serves()
    {
        Assert.True(RawSocketPrivilege.Holds("CapEff", RawSocketPrivilege.CapNetRaw),
            "this test needs CAP_NET_RAW itself (run the suite as root, as CI does), to see the daemon give it up");
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory, builtInScanner: false);

        var status = await File.ReadAllTextAsync($"/proc/{daemon.Id}/status");
        Assert.False(Holds(status, "CapEff", RawSocketPrivilege.CapNetRaw), "CAP_NET_RAW is still effective");
        Assert.False(Holds(status, "CapPrm", RawSocketPrivilege.CapNetRaw), "CAP_NET_RAW is still permitted");
        Assert.False(Holds(status, "CapBnd", RawSocketPrivilege.CapNetRaw), "CAP_NET_RAW is still in the bounding set");
        Assert.True(Holds(status, "CapEff", CapNetBindService), "only CAP_NET_RAW was to go");

        // Same process (pid kept across the re-execution), serving and shutting down as always.
        using (var api = new Api(daemon.BaseAddress))
        {
            await api.CreateScannerAsync("after-drop");
        }

        daemon.Terminate();
        Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the daemon did not exit after SIGTERM");
        Assert.Equal(0, daemon.ExitCode);
    }

    [Fact]
    public async Task With_the_built_in_scanner_on_the_daemon_keeps_cap_net_raw()
    {
        Assert.True(RawSocketPrivilege.Holds("CapEff", RawSocketPrivilege.CapNetRaw), "this test needs CAP_NET_RAW itself (run as root)");
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory, builtInScanner: true);
        Assert.True(Holds(await File.ReadAllTextAsync($"/proc/{daemon.Id}/status"), "CapEff", RawSocketPrivilege.CapNetRaw));
    }

    private static bool Holds(string status, string field, int capability)
    {
        var line = status.Split('\n').Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        var mask = ulong.Parse(line.AsSpan(field.Length + 1).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (mask & (1UL << capability)) != 0;
    }
}
