using System.Globalization;
using System.Text.RegularExpressions;
using Outpost.Packaging.Tests.Infrastructure;

namespace Outpost.Packaging.Tests;

/// <summary>The systemd units as shipped: valid, and hardened to an exposure of at most 4 (issue 8).</summary>
public sealed partial class UnitFileTests
{
    private const double MaxExposure = 4.0;

    public static TheoryData<string> Units => new() { "outpost/outpost.service", "outpost-probe/outpost-probe.service" };

    [Theory]
    [MemberData(nameof(Units))]
    public async Task Security_exposure_is_at_most_4(string unit)
    {
        Shell.Require("systemd-analyze");
        var path = Path.Combine(Repository.Root, "packaging", unit);
        var result = await Shell.RunAsync("systemd-analyze",
            ["security", "--offline=true", "--no-pager", string.Create(CultureInfo.InvariantCulture, $"--threshold={MaxExposure * 10}"), path],
            TimeSpan.FromMinutes(1));
        // systemd before 252 has no --offline: say so instead of passing on an unparsed answer.
        Assert.False(result.Output.Contains("unrecognized option", StringComparison.Ordinal),
            $"this systemd-analyze cannot rate unit files offline (needs systemd >= 252):\n{result.Output}");
        var match = ExposureLine().Match(result.Output);
        Assert.True(match.Success, $"no exposure level in the output of `{result.Command}`:\n{result.Output}");
        var exposure = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= MaxExposure, $"{unit} exposure {exposure} > {MaxExposure}:\n{result.Output}");
        Assert.Equal(0, result.ExitCode);
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void Unit_has_the_required_settings(string unit)
    {
        var text = File.ReadAllText(Path.Combine(Repository.Root, "packaging", unit));
        string[] required =
        [
            "Type=notify", "WatchdogSec=", "User=outpost", "StateDirectory=outpost", "Restart=on-failure",
            "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK",
        ];
        foreach (var line in required)
        {
            Assert.Contains("\n" + line, text, StringComparison.Ordinal);
        }

        // The appliance binds 443 and runs the built-in scanner; a scanner node only sends probes (it listens on nothing).
        var capabilities = unit.StartsWith("outpost-probe/", StringComparison.Ordinal) ? "CAP_NET_RAW" : "CAP_NET_RAW CAP_NET_BIND_SERVICE";
        Assert.Contains("\nAmbientCapabilities=" + capabilities + "\n", text, StringComparison.Ordinal);
        Assert.Contains("\nCapabilityBoundingSet=" + capabilities + "\n", text, StringComparison.Ordinal);

        // The .NET JIT writes code: MemoryDenyWriteExecute would kill the daemon at its first JIT compile.
        Assert.DoesNotContain("\nMemoryDenyWriteExecute", text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+(?:\.\d+)?)")]
    private static partial Regex ExposureLine();
}
