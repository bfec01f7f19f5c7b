namespace Outpost.Store.Records.Inventory;

/// <summary>
/// An asset's hostnames (docs/inventory.md, "Hostnames from reverse DNS") come from two sources with two lifetimes: the
/// names scans found (certificate SANs, crawled URLs' host names) accumulate, while reverse DNS's are what the latest
/// answered lookup returned, each lookup replacing the last. <c>inventory_assets</c> keeps each source's names
/// (<c>scan_names</c>, <c>dns_names</c>) and their union (<c>hostnames</c>), which the queries, exports and search read,
/// so a name reverse DNS stops returning leaves the hostnames unless a scan found it too. Each column holds its names
/// lower case, once each, bytewise sorted, separated by spaces.
/// </summary>
internal static class AssetNames
{
    /// <summary>The names a column holds.</summary>
    public static SortedSet<string> Parse(string names) => new(names.Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);

    /// <summary>The column text of <paramref name="names"/>: once each, in bytewise order.</summary>
    public static string Format(IEnumerable<string> names) => string.Join(' ', new SortedSet<string>(names, StringComparer.Ordinal));

    /// <summary>The hostnames: the names scans found and those reverse DNS gave, as column texts.</summary>
    public static string Hostnames(string scanNames, string dnsNames) => Format(Parse(scanNames).Concat(Parse(dnsNames)));
}
