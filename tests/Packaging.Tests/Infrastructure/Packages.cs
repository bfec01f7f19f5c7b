namespace Outpost.Packaging.Tests.Infrastructure;

/// <summary>The four packages of one build, and the same code packaged again with a higher revision (upgrade test).</summary>
public sealed record Packages(string Version, string Directory, string UpgradeVersion, string UpgradeDirectory)
{
    /// <summary>The version the packages carry: <c>&lt;Version&gt;</c> in Directory.Build.props, as scripts/package.sh reads it.</summary>
    public static string ProductVersion { get; } = System.Text.RegularExpressions.Regex.Match(
        File.ReadAllText(Path.Combine(Repository.Root, "Directory.Build.props")), "<Version>([^<]+)</Version>").Groups[1].Value;

    public string Deb(string package) => Path.Combine(Directory, $"{package}_{Version}_amd64.deb");

    public string Rpm(string package) => Path.Combine(Directory, $"{package}-{Version}.x86_64.rpm");

    public string UpgradeDeb(string package) => Path.Combine(UpgradeDirectory, $"{package}_{UpgradeVersion}_amd64.deb");

    public string UpgradeRpm(string package) => Path.Combine(UpgradeDirectory, $"{package}-{UpgradeVersion}.x86_64.rpm");

    public static IReadOnlyList<string> Names { get; } = ["outpost", "outpost-probe"];

    private static readonly Lazy<Task<Packages>> Built = new(BuildAsync);

    /// <summary>
    /// Built once per test run and shared by every test class: <c>scripts/package.sh --skip-tests</c> (this suite is the
    /// test run it would otherwise start), in a build tree of its own so it never races the suite's own build.
    /// </summary>
    public static Task<Packages> GetAsync() => Built.Value;

    private static async Task<Packages> BuildAsync()
    {
        Shell.Require("dpkg-deb", "rpmbuild");
        var root = Path.Combine(Repository.Artifacts, "packaging-tests");
        var environment = new Dictionary<string, string?> { ["OUTPOST_ARTIFACTS"] = Path.Combine(root, "build") };
        var first = Path.Combine(root, "packages");
        var upgrade = Path.Combine(root, "packages-upgrade");
        var script = Path.Combine(Repository.Root, "scripts", "package.sh");
        // OUTPOST_PACKAGING_REUSE_PUBLISH=1 reuses the last run's publish, for quick turns while working on packaging/.
        string[] publish = Environment.GetEnvironmentVariable("OUTPOST_PACKAGING_REUSE_PUBLISH") == "1" ? ["--no-publish"] : [];
        (await Shell.RunAsync(script, ["--skip-tests", "--fast", .. publish, "--revision", "1", "--out", first], TimeSpan.FromMinutes(4), environment))
            .EnsureSuccess();
        // The same code with a higher package revision: what an upgrade installs.
        (await Shell.RunAsync(script, ["--skip-tests", "--fast", "--no-publish", "--revision", "2", "--out", upgrade], TimeSpan.FromMinutes(2), environment))
            .EnsureSuccess();
        return new Packages(ProductVersion + "-1", first, ProductVersion + "-2", upgrade);
    }
}
