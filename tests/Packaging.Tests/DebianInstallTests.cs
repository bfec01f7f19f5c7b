using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Outpost.Packaging.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Outpost.Packaging.Tests;

/// <summary>
/// The .deb's whole life in a clean Debian root: first install (apt resolves libpcap from the mirror), selftest and
/// /healthz, scanners and jobs through the API, an upgrade to the same code with a higher revision that keeps store,
/// secret and settings, and a purge that leaves nothing behind. One test, because each step starts from the last.
/// </summary>
public sealed class DebianInstallTests(ITestOutputHelper output)
{
    private const string LocalSettings = """
        // An admin's own settings: the upgrade must keep this file as it is, without asking.
        { "Outpost": { "SessionLifetime": "06:00:00" } }

        """;

    [Fact]
    public async Task Deb_installs_runs_upgrades_and_purges_without_a_trace()
    {
        var steps = new StepTimer(output);
        var packages = await Packages.GetAsync();
        steps.Done("packages built");
        await using var root = await TestRoot.CreateAsync("apt-deb", [packages.Deb("outpost"), packages.Deb("outpost-probe")]);
        steps.Done("mmdebstrap root with the .debs installed");

        // First install: the postinst made the user, the state directory and the admin secret, and said where they are.
        Assert.Contains("Admin secret:      /var/lib/outpost/admin-token", root.CreateOutput, StringComparison.Ordinal);
        Assert.Contains("Open the web UI:   https://", root.CreateOutput, StringComparison.Ordinal);
        (await root.ExecAsync("getent", "passwd", "outpost")).EnsureSuccess();
        var tokenPath = root.PathOf("/var/lib/outpost/admin-token");
        var token = (await File.ReadAllTextAsync(tokenPath)).Trim();
        Assert.True(token.Length >= 43, "the admin secret has at least 256 bits");
        Assert.Equal("outpost:outpost 600", (await root.ExecAsync("stat", "-c", "%U:%G %a", "/var/lib/outpost/admin-token")).EnsureSuccess().Output.Trim());
        // Settings may hold secrets: readable by the service's group only.
        foreach (var settings in new[] { "/etc/outpost/outpost.json", "/etc/outpost/probe.json" })
        {
            Assert.Equal("root:outpost 640", (await root.ExecAsync("stat", "-c", "%U:%G %a", settings)).EnsureSuccess().Output.Trim());
        }

        // The service account owns /var/lib/outpost and may plant a link where the postinst writes the secret: rerunning
        // the postinst as root (an upgrade) must neither follow it nor hand the link's target to the account.
        await File.WriteAllTextAsync(root.PathOf("/etc/outpost-victim"), "root's own\n");
        (await root.ExecAsync("chmod", "0600", "/etc/outpost-victim")).EnsureSuccess();
        File.Move(tokenPath, tokenPath + ".kept");
        (await root.ExecAsync("setpriv", "--reuid=outpost", "--regid=outpost", "--init-groups", "ln", "-s", "/etc/outpost-victim",
            "/var/lib/outpost/admin-token.tmp")).EnsureSuccess();
        (await root.ExecAsync("/var/lib/dpkg/info/outpost.postinst", "configure", Packages.ProductVersion)).EnsureSuccess();
        Assert.Equal("root:root 600", (await root.ExecAsync("stat", "-c", "%U:%G %a", "/etc/outpost-victim")).EnsureSuccess().Output.Trim());
        Assert.Equal("root's own\n", await File.ReadAllTextAsync(root.PathOf("/etc/outpost-victim")));
        Assert.Equal("outpost:outpost 600", (await root.ExecAsync("stat", "-c", "%U:%G %a", "/var/lib/outpost/admin-token")).EnsureSuccess().Output.Trim());
        File.Delete(root.PathOf("/etc/outpost-victim"));
        File.Move(tokenPath + ".kept", tokenPath, overwrite: true);
        Assert.StartsWith(Packages.ProductVersion, (await root.ExecAsync("outpost", "--version")).EnsureSuccess().Output.Trim(), StringComparison.Ordinal);
        (await root.ExecAsync("outpost-probe", "--help")).EnsureSuccess();

        // The units as installed: systemd-analyze verify finds nothing to say about them.
        foreach (var unit in Packages.Names)
        {
            await VerifyUnitAsync(root, unit + ".service");
        }

        // selftest before the first start: as root (how an admin runs it) and as the service would run.
        var selftest = (await root.ExecAsync("outpost", "selftest")).EnsureSuccess();
        Assert.Contains("ok    libpcap: libpcap version", selftest.Output, StringComparison.Ordinal);
        (await root.ExecAsServiceAsync("outpost", "selftest")).EnsureSuccess();
        // And it says what is wrong in plain words: the outpost user without the unit's capabilities.
        var unprivileged = await root.ExecAsync("setpriv", "--reuid=outpost", "--regid=outpost", "--init-groups", "outpost", "selftest");
        Assert.NotEqual(0, unprivileged.ExitCode);
        Assert.Contains("CAP_NET_RAW is missing", unprivileged.Output, StringComparison.Ordinal);

        steps.Done("first-install checks, verify, selftest");
        await File.WriteAllTextAsync(root.PathOf("/etc/outpost/outpost.json"), LocalSettings);
        long scannerId;
        string apiKey;
        int jobCount;
        await using (var daemon = root.StartDaemon())
        {
            await daemon.WaitHealthyAsync();
            using var admin = daemon.Client(token);
            using var created = await admin.PostAsJsonAsync("api/scanners", new { name = "packaging-upgrade" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            using (var scanner = JsonDocument.Parse(await created.Content.ReadAsStringAsync()))
            {
                scannerId = scanner.RootElement.GetProperty("id").GetInt64();
                apiKey = scanner.RootElement.GetProperty("apiKey").GetString()!;
            }

            using var scan = await admin.PostAsJsonAsync("api/scans",
                new { name = "packaging-upgrade", targets = new[] { "192.0.2.0/30", "198.51.100.7" }, ports = "22,443", scannerIds = new[] { scannerId } });
            Assert.Equal(HttpStatusCode.Created, scan.StatusCode);
            jobCount = await JobCountAsync(admin);
            Assert.True(jobCount > 0, "the scan made jobs");

            // While the daemon runs, selftest looks at the store's files without opening them.
            var running = (await root.ExecAsync("outpost", "selftest")).EnsureSuccess();
            Assert.Contains("the daemon is running", running.Output, StringComparison.Ordinal);

            // Upgrade with the daemon running, as on a live box: no conffile question, then the unit's restart.
            foreach (var package in Packages.Names)
            {
                File.Copy(packages.UpgradeDeb(package), root.PathOf($"/tmp/{package}.deb"));
            }

            var upgrade = (await root.ExecAsync(TimeSpan.FromMinutes(3), "dpkg", "-i", "/tmp/outpost.deb", "/tmp/outpost-probe.deb")).EnsureSuccess();
            Assert.DoesNotContain("Configuration file", upgrade.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Outpost is installed", upgrade.Output, StringComparison.Ordinal);
            File.Delete(root.PathOf("/tmp/outpost.deb"));
            File.Delete(root.PathOf("/tmp/outpost-probe.deb"));
        }

        steps.Done("daemon, API, upgrade");
        Assert.Equal(packages.UpgradeVersion, (await root.ExecAsync("dpkg-query", "-W", "-f=${Version}", "outpost")).EnsureSuccess().Output.Trim());
        Assert.Equal(LocalSettings, await File.ReadAllTextAsync(root.PathOf("/etc/outpost/outpost.json")));
        Assert.Equal(token, (await File.ReadAllTextAsync(tokenPath)).Trim());
        // Stopped: selftest opens a copy of the store, so the upgraded store is known to recover.
        var stopped = (await root.ExecAsync("outpost", "selftest")).EnsureSuccess();
        // The test's scanner and the appliance's built-in one (`local`, registered on the daemon's first start).
        Assert.Contains("opened and recovered (2 scanners)", stopped.Output, StringComparison.Ordinal);

        await using (var daemon = root.StartDaemon())
        {
            await daemon.WaitHealthyAsync();
            using var admin = daemon.Client(token);
            var scanners = await admin.GetStringAsync(new Uri("api/scanners", UriKind.Relative));
            Assert.Contains("packaging-upgrade", scanners, StringComparison.Ordinal);
            Assert.Equal(jobCount, await JobCountAsync(admin));
            // The scanner's key survived too: it can claim the queued work.
            using var scanner = daemon.Client();
            scanner.DefaultRequestHeaders.Add("X-API-Key", apiKey);
            using var claim = await scanner.GetAsync(new Uri("scanner/jobs?limit=1", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
            Assert.Contains("192.0.2.", await claim.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        steps.Done("after upgrade: store, secret, settings, key");
        // Purge: no file, directory, user or group of ours is left in the root.
        (await root.ExecAsync(TimeSpan.FromMinutes(2), "dpkg", "--purge", "outpost-probe", "outpost")).EnsureSuccess();
        Assert.NotEqual(0, (await root.ExecAsync("getent", "passwd", "outpost")).ExitCode);
        Assert.NotEqual(0, (await root.ExecAsync("getent", "group", "outpost")).ExitCode);
        var leftovers = (await Shell.RunAsync("find", [root.Directory, "-mindepth", "1", "-xdev", "-path", root.PathOf("/proc"), "-prune", "-o", "-iname", "*outpost*", "-print"],
            TimeSpan.FromMinutes(1))).EnsureSuccess().Output.Trim();
        Assert.True(leftovers.Length == 0, $"left behind after purge:\n{leftovers}");
        steps.Done("purge");
    }

    /// <summary>
    /// <c>systemd-analyze verify</c> on a unit as the package installed it. verify needs systemd's own units (the chroot
    /// has no systemd) and checks that ExecStart's binary exists (the host has no /usr/bin/outpost): so it runs on the
    /// host, on a copy whose ExecStart points into the root, after checking the real path exists in the root.
    /// </summary>
    private static async Task VerifyUnitAsync(TestRoot root, string unit)
    {
        var text = await File.ReadAllTextAsync(root.PathOf("/usr/lib/systemd/system/" + unit));
        var execStart = text.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        var binary = execStart["ExecStart=".Length..].Split(' ')[0];
        Assert.True(File.Exists(root.PathOf(binary)) && File.ResolveLinkTarget(root.PathOf(binary), returnFinalTarget: false) is not null,
            $"{unit}: {binary} is not installed as a link in the root");
        var copy = Directory.CreateTempSubdirectory("outpost-unit-");
        try
        {
            var path = Path.Combine(copy.FullName, unit);
            await File.WriteAllTextAsync(path, text.Replace(execStart, execStart.Replace(binary, root.PathOf(binary), StringComparison.Ordinal),
                StringComparison.Ordinal));
            var verify = await Shell.RunAsync("systemd-analyze", ["verify", "--man=no", path], TimeSpan.FromMinutes(1));
            Assert.True(verify.ExitCode == 0 && verify.Output.Trim().Length == 0, $"systemd-analyze verify {unit}:\n{verify.Output}");
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    private static async Task<int> JobCountAsync(HttpClient admin)
    {
        using var jobs = JsonDocument.Parse(await admin.GetStringAsync(new Uri("api/jobs?limit=500", UriKind.Relative)));
        return jobs.RootElement.GetProperty("jobs").GetArrayLength();
    }
}
