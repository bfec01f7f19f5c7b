using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests.StoreOperations;

/// <summary>A scan whose single job would be too large for the store is refused with a 400 before anything exists.</summary>
public sealed class OversizedScanTests
{
    [Fact]
    public async Task A_scan_with_a_job_too_large_for_the_store_is_a_400_and_creates_nothing()
    {
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory);
        using var api = new Api(daemon.BaseAddress);
        var (scannerId, _) = await api.CreateScannerAsync("s");
        // 128 separate addresses in one /24 (one job) times a 190 KB port list.
        var targets = Enumerable.Range(0, 128).Select(i => $"10.9.0.{2 * i}").ToArray();
        var ports = string.Join(',', Enumerable.Range(0, 32_768).Select(i => 2 * i + 1));

        var reply = (await api.AdminAsync(HttpMethod.Post, "/api/scans", new { name = "huge", targets, ports, scannerIds = new[] { scannerId } }))
            .AssertError(400, "BAD_REQUEST");

        Assert.Contains("over the limit", reply.Json.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty((await api.AdminAsync(HttpMethod.Get, "/api/scans")).AssertOk().Json.GetProperty("scans").EnumerateArray());
    }
}
