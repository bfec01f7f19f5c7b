using System.Text.RegularExpressions;

namespace Outpost.Appliance.Planning;

/// <summary>A pool as the appliance sees it: a name shared by scanners (docs/admin-api.md, "Pools"), and its members.</summary>
public sealed record ScannerPool(string Name, IReadOnlyList<Store.Model.Scanner> Members);

/// <summary>Pool names and membership: one rule for the scanner API, the scan form and the planner.</summary>
public static partial class ScannerPools
{
    public const int MaxNameLength = 64;

    /// <summary>Every pool with at least one member, by name; members in id order.</summary>
    public static List<ScannerPool> Of(IReadOnlyList<Store.Model.Scanner> scanners)
    {
        var pools = new SortedDictionary<string, List<Store.Model.Scanner>>(StringComparer.Ordinal);
        foreach (var scanner in scanners)
        {
            if (scanner.Pool is { } pool)
            {
                if (!pools.TryGetValue(pool, out var members))
                {
                    pools[pool] = members = [];
                }

                members.Add(scanner);
            }
        }

        var result = new List<ScannerPool>(pools.Count);
        foreach (var (name, members) in pools)
        {
            result.Add(new ScannerPool(name, members));
        }

        return result;
    }

    /// <summary>The pool named <paramref name="name"/>, or null when no scanner is in it.</summary>
    public static ScannerPool? Find(IReadOnlyList<Store.Model.Scanner> scanners, string name)
    {
        List<Store.Model.Scanner>? members = null;
        foreach (var scanner in scanners)
        {
            if (scanner.Pool == name)
            {
                (members ??= []).Add(scanner);
            }
        }

        return members is null ? null : new ScannerPool(name, members);
    }

    /// <summary>
    /// The pools of <paramref name="names"/> that still have members, in that order (a pool whose scanners all left it
    /// is skipped): what a scan planned later, a recurring run or a follow-up, goes to.
    /// </summary>
    public static List<ScannerPool> Existing(Store.IOutpostStore store, IReadOnlyList<string> names)
    {
        var pools = new List<ScannerPool>(names.Count);
        if (names.Count == 0)
        {
            return pools;
        }

        var all = store.ListScanners();
        foreach (var name in names)
        {
            if (Find(all, name) is { } pool)
            {
                pools.Add(pool);
            }
        }

        return pools;
    }

    /// <summary>A pool name as given, trimmed, or null with the reason: a site name of letters, digits, '.', '_' and '-'.</summary>
    public static string? Validate(string name, out string? error)
    {
        var trimmed = name.Trim();
        error = NameRule().IsMatch(trimmed)
            ? null
            : $"pool must be 1 to {MaxNameLength} letters, digits, '.', '_' or '-' (a site name such as dc-frankfurt).";
        return error is null ? trimmed : null;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NameRule();
}
