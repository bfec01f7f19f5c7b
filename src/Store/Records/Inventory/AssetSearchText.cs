using System.Text;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// What an asset's search matches (<c>inventory_assets.search</c>, the text the trigram index covers): the address,
/// its hostnames, and its live services' names, products and certificate subjects, lower case. Rebuilt whenever one
/// of them changes: by each fold of the address, and by each reverse DNS lookup that records its names.
/// </summary>
internal static class AssetSearchText
{
    /// <summary>The columns of <c>inventory_services</c> whose words join the search text, read from the live services (gone_scan null).</summary>
    public const string ServiceWordColumns = "service, product, cert_subject";

    public static string Build(string ip, string hostnames, IEnumerable<string?> serviceWords)
    {
        var words = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var word in serviceWords)
        {
            if (!string.IsNullOrEmpty(word)) words.Add(word.ToLowerInvariant());
        }

        var text = new StringBuilder(ip);
        if (hostnames.Length > 0) text.Append(' ').Append(hostnames);
        foreach (var word in words) text.Append(" | ").Append(word);
        return text.ToString();
    }
}
