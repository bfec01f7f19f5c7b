using System.Text.RegularExpressions;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;

namespace Outpost.EndToEnd.Tests;

/// <summary>
/// A node pins the appliance's self-signed certificate by its SHA-256 fingerprint: the right pin talks, a wrong one
/// is refused with a clear log line. The daemon serves HTTP for the test's admin calls and HTTPS for the nodes.
/// </summary>
public sealed partial class TlsPinningTests
{
    [Fact]
    public async Task A_node_talks_over_https_only_to_the_pinned_certificate()
    {
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory, $"http://127.0.0.1:{Scans.FreePort()};https://127.0.0.1:{Scans.FreePort()}");
        var https = new Uri(HttpsLine().Match(await daemon.WaitForOutputAsync(HttpsLine(), TimeSpan.FromSeconds(30))).Groups[1].Value);
        var http = new Uri(HttpLine().Match(await daemon.WaitForOutputAsync(HttpLine(), TimeSpan.FromSeconds(30))).Groups[1].Value);
        using var api = new Api(http);
        var fingerprint = (await api.AdminAsync(HttpMethod.Get, "/api/appliance")).AssertOk().Json.GetProperty("tlsFingerprint").GetString()!;
        var (pinnedId, pinnedKey) = await api.CreateScannerAsync("pinned");
        var (_, wrongKey) = await api.CreateScannerAsync("wrong-pin");

        using var pinned = ProbeNodeProcess.Start(https, pinnedKey, directory.Path, "--tls-fingerprint", fingerprint);
        using var wrong = ProbeNodeProcess.Start(https, wrongKey, directory.Path, "--tls-fingerprint", new string('0', 64));

        await wrong.WaitForOutputAsync("not the pinned one", TimeSpan.FromSeconds(30));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!Scans.Scanner((await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json, pinnedId).GetProperty("online").GetBoolean())
        {
            Assert.True(DateTime.UtcNow < deadline, "the pinned node never got a heartbeat through:\n" + pinned.Output);
            await Task.Delay(100);
        }

        var scanners = (await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json.GetProperty("scanners").EnumerateArray();
        Assert.False(scanners.Single(s => s.GetProperty("name").GetString() == "wrong-pin").GetProperty("online").GetBoolean());
    }

    [GeneratedRegex(@"Now listening on: (https://\S+)")]
    private static partial Regex HttpsLine();

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex HttpLine();
}
