using Outpost.Packaging.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Outpost.Packaging.Tests;

/// <summary>
/// The .rpm installed with <c>rpm --root</c> into a temporary root, with its scriptlets running there; then the
/// installed daemon's selftest and /healthz, an upgrade that keeps the admin's settings and secret, and an erase.
/// </summary>
/// <remarks>
/// The root is a minimal Debian (cached under artifacts/packaging-cache/), because the scriptlets need a shell,
/// useradd and getent, and the daemon needs libpcap, OpenSSL and libstdc++ to run. Its rpm database is empty, though:
/// those libraries came from dpkg, so rpm cannot see anything providing them, and every install here needs
/// <c>--nodeps</c>. What the dependencies stand for is checked for real instead: selftest loads libpcap.so.0.8 and
/// the daemon serves TLS through OpenSSL.
/// </remarks>
public sealed class RpmInstallTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Rpm_installs_into_a_root_runs_upgrades_and_erases()
    {
        Shell.Require("rpm");
        // The root is made (or unpacked from the cache) while the packages build.
        var making = TestRoot.FromTarballAsync("apt-rpm", "rpm-root-bookworm.tar", ["libpcap0.8", "libssl3"]);
        var steps = new StepTimer(output);
        await using var root = await making;
        steps.Done("root unpacked");
        var packages = await Packages.GetAsync();
        steps.Done("packages built");

        var install = (await Shell.RunAsync("rpm", ["--root", root.Directory, "-i", "--nodeps",
            packages.Rpm("outpost"), packages.Rpm("outpost-probe")], TimeSpan.FromMinutes(3))).EnsureSuccess();
        Assert.Contains("Admin secret:      /var/lib/outpost/admin-token", install.Output, StringComparison.Ordinal);
        (await Shell.RunAsync("rpm", ["--root", root.Directory, "-V", "--nodeps", "outpost", "outpost-probe"], TimeSpan.FromMinutes(2))).EnsureSuccess();
        var token = (await File.ReadAllTextAsync(root.PathOf("/var/lib/outpost/admin-token"))).Trim();
        Assert.Equal("outpost:outpost 600", (await root.ExecAsync("stat", "-c", "%U:%G %a", "/var/lib/outpost/admin-token")).EnsureSuccess().Output.Trim());
        foreach (var file in new[] { "/etc/outpost/outpost.json", "/etc/outpost/probe.json" })
        {
            Assert.Equal("root:outpost 640", (await root.ExecAsync("stat", "-c", "%U:%G %a", file)).EnsureSuccess().Output.Trim());
        }

        (await root.ExecAsServiceAsync("outpost", "selftest")).EnsureSuccess();
        await using (var daemon = root.StartDaemon())
        {
            await daemon.WaitHealthyAsync();
        }

        steps.Done("install, selftest, /healthz");
        // Upgrade: %config(noreplace) keeps the admin's file (no .rpmnew, since the shipped stub did not change).
        const string Settings = "{ \"Outpost\": { \"SessionLifetime\": \"06:00:00\" } }\n";
        await File.WriteAllTextAsync(root.PathOf("/etc/outpost/outpost.json"), Settings);
        (await Shell.RunAsync("rpm", ["--root", root.Directory, "-U", "--nodeps",
            packages.UpgradeRpm("outpost"), packages.UpgradeRpm("outpost-probe")], TimeSpan.FromMinutes(3))).EnsureSuccess();
        Assert.Equal(packages.UpgradeVersion, (await Shell.RunAsync("rpm", ["--root", root.Directory, "-q", "--qf", "%{VERSION}-%{RELEASE}", "outpost"],
            TimeSpan.FromMinutes(1))).EnsureSuccess().Output.Trim());
        Assert.Equal(Settings, await File.ReadAllTextAsync(root.PathOf("/etc/outpost/outpost.json")));
        Assert.False(File.Exists(root.PathOf("/etc/outpost/outpost.json.rpmnew")), "no .rpmnew beside the admin's settings");
        Assert.Equal(token, (await File.ReadAllTextAsync(root.PathOf("/var/lib/outpost/admin-token"))).Trim());
        var selftest = (await root.ExecAsync("outpost", "selftest")).EnsureSuccess();
        Assert.Contains("opened and recovered", selftest.Output, StringComparison.Ordinal);

        // Erase removes the programs; RPM has no purge, so state and user stay (packaging/README.md).
        (await Shell.RunAsync("rpm", ["--root", root.Directory, "-e", "--nodeps", "outpost", "outpost-probe"], TimeSpan.FromMinutes(2))).EnsureSuccess();
        Assert.False(Directory.Exists(root.PathOf("/usr/lib/outpost")), "/usr/lib/outpost is gone");
        Assert.False(File.Exists(root.PathOf("/usr/bin/outpost")), "/usr/bin/outpost is gone");
        Assert.True(File.Exists(root.PathOf("/var/lib/outpost/admin-token")), "rpm -e keeps the state");
        steps.Done("upgrade and erase");
    }
}
