using Outpost.Packaging.Tests.Infrastructure;

namespace Outpost.Packaging.Tests;

/// <summary>
/// What each package declares it needs at run time. The appliance binds OpenLDAP's libldap for directory sign-in only
/// when an admin signs in through the directory, so nothing else would notice a missing dependency until then.
/// </summary>
public sealed class DependencyTests
{
    [Fact]
    public async Task The_appliance_needs_libldap_and_the_probe_does_not()
    {
        var packages = await Packages.GetAsync();
        var appliance = await Field("dpkg-deb", ["-f", packages.Deb("outpost"), "Depends"]);
        Assert.Contains("libldap-2.5-0 | libldap2", appliance, StringComparison.Ordinal);
        Assert.Contains("libpcap0.8", appliance, StringComparison.Ordinal);
        Assert.DoesNotContain("libldap", await Field("dpkg-deb", ["-f", packages.Deb("outpost-probe"), "Depends"]), StringComparison.Ordinal);

        var applianceRpm = await Field("rpm", ["-qp", "--requires", packages.Rpm("outpost")]);
        Assert.Contains("libldap.so.2()(64bit)", applianceRpm, StringComparison.Ordinal);
        Assert.DoesNotContain("@DIRECTORY_REQUIRES@", applianceRpm, StringComparison.Ordinal);
        Assert.DoesNotContain("libldap", await Field("rpm", ["-qp", "--requires", packages.Rpm("outpost-probe")]), StringComparison.Ordinal);
    }

    private static async Task<string> Field(string command, string[] arguments)
    {
        Shell.Require(command);
        var result = await Shell.RunAsync(command, arguments, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, $"{command} {string.Join(' ', arguments)} failed:\n{result.Output}");
        return result.Output;
    }
}
