using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;

namespace Outpost.EndToEnd.Tests.Assets;

/// <summary>
/// The change summary over real listeners (docs/inventory.md, "Change summary"): the built-in scanner fingerprints a
/// namespace's nginx twice; between the runs one listener is added, one removed and the HTTPS certificate swapped for
/// a new one (openssl-made). The second run's summary lists exactly those three changes, the swapped certificate
/// with both fingerprints. The namespace is ic-… on 10.87.0.0/16.
/// </summary>
public sealed class ChangeSummaryTests
{
    private const string Ports = "80,443,8080,8081";

    private static readonly Dictionary<string, string?> FastLoops = new()
    {
        ["Outpost__BuiltInScanner__PollInterval"] = "00:00:00.300",
        ["Outpost__Inventory__ProcessingInterval"] = "00:00:00.300",
    };

    [Fact]
    public async Task A_second_run_lists_the_added_and_removed_listeners_and_the_swapped_certificate()
    {
        await using var lab = await WebLab.StartAsync("ic", 87, new WebServing([80, 8080], [443], "ic-first.test"));
        var firstCertificate = Sha256(lab.Certificate);
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory, environment: FastLoops, builtInScanner: true);
        using var api = new Api(daemon.BaseAddress);
        var local = await Scans.WaitForLocalScannerAsync(api, () => daemon.Output, "fingerprint");

        // The first run: everything it saw is new.
        var first = await RunAsync(api, daemon, lab, local);
        var initial = (await api.AdminAsync(HttpMethod.Get, $"/api/scans/{first}/changes")).AssertOk().Json;
        Assert.Equal(JsonValueKind.Null, initial.GetProperty("previousScanId").ValueKind);
        Assert.Equal([lab.Address], Strings(initial.GetProperty("newAssets")));
        Assert.Equal([$"{lab.Address}:443", $"{lab.Address}:80", $"{lab.Address}:8080"], Services(initial.GetProperty("newServices")));

        // Between the runs: 8081 opens, 8080 closes, 443 serves a new key and certificate.
        await lab.ServeAsync(new WebServing([80, 8081], [443], "ic-second.test"));
        var secondCertificate = Sha256(lab.Certificate);
        Assert.NotEqual(firstCertificate, secondCertificate);

        var second = await RunAsync(api, daemon, lab, local);
        var changes = (await api.AdminAsync(HttpMethod.Get, $"/api/scans/{second}/changes")).AssertOk().Json;
        Assert.Equal(first, changes.GetProperty("previousScanId").GetInt64());
        Assert.Empty(changes.GetProperty("newAssets").EnumerateArray());
        Assert.Empty(changes.GetProperty("goneAssets").EnumerateArray());
        Assert.Equal([$"{lab.Address}:8081"], Services(changes.GetProperty("newServices")));
        Assert.Equal([$"{lab.Address}:8080"], Services(changes.GetProperty("goneServices")));
        var changed = Assert.Single(changes.GetProperty("changedServices").EnumerateArray());
        var now = changed.GetProperty("service");
        var before = changed.GetProperty("previous");
        Assert.Equal(443, now.GetProperty("port").GetInt32());
        Assert.Equal(443, before.GetProperty("port").GetInt32());
        Assert.Equal(secondCertificate, now.GetProperty("certificate").GetProperty("sha256").GetString());
        Assert.Contains("ic-second.test", now.GetProperty("certificate").GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.Equal(firstCertificate, before.GetProperty("certificate").GetProperty("sha256").GetString());
        Assert.Contains("ic-first.test", before.GetProperty("certificate").GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.Equal(before.GetProperty("product").GetString(), now.GetProperty("product").GetString());
    }

    /// <summary>A fingerprint scan of the lab's address by the built-in scanner, waited for until it is processed.</summary>
    private static async Task<long> RunAsync(Api api, DaemonProcess daemon, WebLab lab, long local)
    {
        var scanId = (await api.AdminAsync(HttpMethod.Post, "/api/scans", new
        {
            name = "inventory changes", capability = "fingerprint", targets = new[] { lab.Address }, ports = Ports, scannerIds = new[] { local },
            maxProbesPerSecond = 100,
        })).AssertOk(201).Json.GetProperty("id").GetInt64();
        var scan = await Scans.WaitAsync(api, scanId, s => Scans.Is(s, "completed") || Scans.Is(s, "failed") || Scans.Is(s, "stopped"),
            TimeSpan.FromSeconds(120), () => daemon.Output);
        Assert.True(Scans.Is(scan, "completed"), $"{scan}\n{daemon.Output}");
        return scanId;
    }

    /// <summary>The certificate's SHA-256 as the fingerprint reports it: lower-case hex of the DER bytes.</summary>
    private static string Sha256(string certificate)
    {
        using var loaded = X509CertificateLoader.LoadCertificateFromFile(certificate);
        return loaded.GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant();
    }

    private static IEnumerable<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!);

    private static IEnumerable<string> Services(JsonElement array) =>
        array.EnumerateArray().Select(e => $"{e.GetProperty("ip").GetString()}:{e.GetProperty("port").GetInt32().ToString(CultureInfo.InvariantCulture)}")
            .Order(StringComparer.Ordinal);
}
