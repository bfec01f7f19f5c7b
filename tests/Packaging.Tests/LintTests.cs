using Outpost.Packaging.Tests.Infrastructure;

namespace Outpost.Packaging.Tests;

/// <summary>
/// lintian and rpmlint report no errors. The overrides for what is deliberate (a bundled .NET runtime, RPMs built on
/// Debian) live in packaging/&lt;pkg&gt;/lintian-overrides and packaging/rpmlint.toml, each with its reason.
/// </summary>
public sealed class LintTests
{
    [Theory]
    [InlineData("outpost")]
    [InlineData("outpost-probe")]
    public async Task Lintian_finds_no_errors(string package)
    {
        Shell.Require("lintian");
        var packages = await Packages.GetAsync();
        var result = await Shell.RunAsync("lintian", ["--fail-on", "error", "--no-tag-display-limit", packages.Deb(package)],
            TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0 && !result.Output.Contains("E: ", StringComparison.Ordinal),
            $"lintian reports errors for {package}:\n{result.Output}");
    }

    [Theory]
    [InlineData("outpost")]
    [InlineData("outpost-probe")]
    public async Task Rpmlint_finds_no_errors(string package)
    {
        Shell.Require("rpmlint");
        var packages = await Packages.GetAsync();
        var config = Path.Combine(Repository.Root, "packaging", "rpmlint.toml");
        var result = await Shell.RunAsync("rpmlint", ["--config", config, packages.Rpm(package)], TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0 && result.Output.Contains(" 0 errors", StringComparison.Ordinal),
            $"rpmlint reports errors for {package}:\n{result.Output}");
    }
}
