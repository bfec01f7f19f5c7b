using Outpost.Store.Queries;
using Outpost.Store.Records;
using Outpost.Store.Records.Inventory;

namespace Outpost.Appliance.Admin;

/// <summary>
/// What the Jobs and Scans pages' search text means as addresses (docs/admin-api.md, "Search by address and name"):
/// an IPv4 address stands for itself; a hostname the inventory knows (from TLS names, HTTP, reverse DNS) stands for
/// the addresses it names. Jobs and scans whose targets contain one of them match; the stores compare the addresses
/// with each job's stored ranges (<see cref="AddressRanges"/>).
/// </summary>
public static class AddressSearch
{
    /// <summary>Most addresses one hostname stands for in a search; more are left out (a name on that many hosts is not a host).</summary>
    public const int MaxHostAddresses = 256;

    /// <summary>The addresses <paramref name="q"/> names, or null when it names none (then only the text matches).</summary>
    public static async Task<IReadOnlyList<uint>?> AddressesOfAsync(string? q, RecordsDatabase records, CancellationToken ct)
    {
        var text = q?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (AddressRanges.TryParseAddress(text, out var address))
        {
            return [address];
        }

        if (!LooksLikeHostname(text))
        {
            return null;
        }

        // The inventory's search finds the assets whose searchable text contains the name; of those, the ones that carry it as a hostname.
        var page = await new InventoryQueries(records).SearchAsync(new AssetQuery { Text = text, Limit = 1000 }, ct);
        var addresses = new List<uint>();
        foreach (var asset in page.Assets)
        {
            if (asset.Hostnames.Contains(text, StringComparer.OrdinalIgnoreCase) && AddressRanges.TryParseAddress(asset.Ip, out var ip))
            {
                addresses.Add(ip);
                if (addresses.Count == MaxHostAddresses)
                {
                    break;
                }
            }
        }

        return addresses.Count > 0 ? addresses : null;
    }

    /// <summary>Letters, digits, dots, hyphens and underscores, with at least one letter: a name, not a number or a phrase.</summary>
    private static bool LooksLikeHostname(string text) =>
        text.Length <= 253 && text.Any(char.IsAsciiLetter) && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
}
