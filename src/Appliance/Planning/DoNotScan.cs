using Outpost.Probe.Targets;
using Outpost.Store.Model;

namespace Outpost.Appliance.Planning;

/// <summary>
/// Which do-not-scan entries bind which scanner (docs/admin-api.md, "Do-not-scan list"). Planning cuts the entries'
/// whole addresses out of each job's targets; the claim carries the entries in the job (<c>exclude</c>) and every
/// progress reply carries them again, so an edit reaches a running job within one progress interval and the engine
/// skips what they name inside its walk.
/// </summary>
public static class DoNotScan
{
    /// <summary>
    /// The one matching rule: a global entry binds every scanner; an entry with a pool binds that pool's jobs and the
    /// scanners in it, and a scanner whose name is the pool's (so a lone scanner can have entries of its own). Names
    /// compare case-insensitively, as scanner names do. A job assigned to a pool has no scanner name; its claimer's own
    /// entries join when it claims.
    /// </summary>
    public static bool AppliesTo(Exclusion exclusion, string? scannerName, string? pool) =>
        exclusion.Pool is not { } target
        || string.Equals(target, pool, StringComparison.OrdinalIgnoreCase)
        || string.Equals(target, scannerName, StringComparison.OrdinalIgnoreCase);

    public static bool AppliesTo(Exclusion exclusion, Scanner scanner) => AppliesTo(exclusion, scanner.Name, scanner.Pool);

    /// <summary>The entries that bind <paramref name="scanner"/>, canonical, in the settings' order (no allocation when there are none).</summary>
    public static IReadOnlyList<string> EntriesFor(ScanSettings settings, Scanner scanner) => EntriesFor(settings, scanner.Name, scanner.Pool);

    /// <summary>The entries that bind a scanner or a pool's job (either name may be null), in the settings' order.</summary>
    public static IReadOnlyList<string> EntriesFor(ScanSettings settings, string? scannerName, string? pool)
    {
        if (settings.Exclusions.Count == 0)
        {
            return [];
        }

        var entries = new List<string>(settings.Exclusions.Count);
        foreach (var exclusion in settings.Exclusions)
        {
            if (AppliesTo(exclusion, scannerName, pool))
            {
                entries.Add(exclusion.Target);
            }
        }

        return entries;
    }

    /// <summary>The entries that bind a scanner or a pool's job, parsed (the settings were validated when saved).</summary>
    public static ExclusionSet SetFor(ScanSettings settings, string? scannerName, string? pool) =>
        ExclusionSet.TryParse(EntriesFor(settings, scannerName, pool), out var set, out _) ? set! : ExclusionSet.Empty;

    /// <summary><paramref name="range"/> without the addresses <paramref name="excluded"/> names on every port, ascending.</summary>
    public static IEnumerable<Ipv4Range> Without(Ipv4Range range, IReadOnlyList<Ipv4Range> excluded)
    {
        ulong at = range.First;
        foreach (var cut in excluded)
        {
            if (cut.Last < at || cut.First > range.Last)
            {
                continue;
            }

            if (cut.First > at)
            {
                yield return new Ipv4Range((uint)at, cut.First - 1);
            }

            at = (ulong)cut.Last + 1;
            if (at > range.Last)
            {
                yield break;
            }
        }

        yield return new Ipv4Range((uint)at, range.Last);
    }
}
