using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Appliance.Tests.StoreOperations;

namespace Outpost.Appliance.Tests;

/// <summary><c>outpost selftest</c> judges the settings the daemon would run with, from every source the daemon reads.</summary>
public sealed class SelfTestConfigurationTests
{
    [Fact]
    public async Task Selftest_reads_settings_from_the_environment_like_the_daemon()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "data"));
        // Not in the config file: only the environment says the daemon listens on 443, so only a selftest that layers its
        // settings like the daemon checks the capability that port needs.
        var (code, output) = await FailClosedStartTests.RunOutpostAsync(directory,
            new Dictionary<string, string> { ["Outpost__Urls"] = "https://127.0.0.1:443" }, "selftest");
        Assert.True(code == 0, output);
        Assert.Contains("ok    capabilities: CAP_NET_BIND_SERVICE is effective (the built-in scanner is off", output,
            StringComparison.Ordinal);
    }
}
