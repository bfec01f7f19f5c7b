using System.Reflection;

namespace Outpost.Packaging.Tests.Infrastructure;

/// <summary>Where this checkout and its artifacts are (the test assembly runs from the artifacts tree, not the checkout).</summary>
public static class Repository
{
    public static string Root { get; } = typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!.TrimEnd('/');

    /// <summary>The build's artifacts directory: <c>$OUTPOST_ARTIFACTS</c>, else <c>artifacts/</c> in the checkout.</summary>
    public static string Artifacts { get; } = Environment.GetEnvironmentVariable("OUTPOST_ARTIFACTS") is { Length: > 0 } a
        ? Path.GetFullPath(a)
        : Path.Combine(Root, "artifacts");

    /// <summary>Kept between runs: the apt download cache and the base root for the RPM test.</summary>
    public static string Cache { get; } = Path.Combine(Artifacts, "packaging-cache");
}
