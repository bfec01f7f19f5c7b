using Outpost.Store.Queries;

namespace Outpost.Appliance.Admin;

/// <summary>
/// What the Jobs and Scans pages' search text means as addresses (docs/admin-api.md, "Search by address and name"):
/// an IPv4 address stands for itself, so jobs and scans whose targets contain it match. The stores match the
/// addresses against each job's stored ranges (<see cref="AddressRanges"/>).
/// </summary>
public static class AddressSearch
{
    /// <summary>The addresses <paramref name="q"/> names, or null when it names none (then only the text matches).</summary>
    public static IReadOnlyList<uint>? AddressesOf(string? q) =>
        !string.IsNullOrWhiteSpace(q) && AddressRanges.TryParseAddress(q.Trim(), out var address) ? [address] : null;
}
