using System.Globalization;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// The names reverse DNS gave for the inventory's addresses (docs/inventory.md, "Hostnames"): which addresses are due
/// a lookup (never looked up, or longer ago than the refresh age), and what a lookup returned. The names join the
/// asset's hostnames, so the search finds them as it finds a certificate's (the search text gains them at once; the
/// next slice that folds the address rebuilds it with them), and <c>dns_names</c> keeps which of them reverse DNS gave.
/// A lookup that found no name, failed or timed out is recorded too, so the address is asked about again only after
/// the refresh age. Names accumulate, as the hostnames scans find do.
/// </summary>
public sealed class ReverseDnsNames(RecordsDatabase database)
{
    /// <summary>Up to <paramref name="limit"/> addresses never looked up, then those last looked up before <paramref name="checkedBefore"/>, oldest first.</summary>
    public Task<List<string>> DueAsync(DateTimeOffset checkedBefore, int limit, CancellationToken ct = default) =>
        database.ReadAsync(async (connection, token) =>
        {
            var due = new List<string>(limit);
            await using (var select = connection.Command("SELECT ip FROM inventory_assets WHERE dns_checked IS NULL ORDER BY ip LIMIT @limit")
                .With("@limit", limit))
            {
                await ReadIpsAsync(select, due, token).ConfigureAwait(false);
            }

            if (due.Count == limit) return due;
            await using (var select = connection.Command("SELECT ip FROM inventory_assets WHERE dns_checked < @before ORDER BY dns_checked, ip LIMIT @limit")
                .With("@before", RecordsCommands.Microseconds(checkedBefore)).With("@limit", limit - due.Count))
            {
                await ReadIpsAsync(select, due, token).ConfigureAwait(false);
            }

            return due;
        }, ct);

    /// <summary>Records the names each lookup returned (lower case, no trailing dot; none when it found nothing) as of <paramref name="at"/>.</summary>
    public Task RecordAsync(IReadOnlyList<(string Ip, IReadOnlyList<string> Names)> lookups, DateTimeOffset at, CancellationToken ct = default) =>
        database.WriteAsync(async (connection, transaction, token) =>
        {
            foreach (var (ip, names) in lookups)
            {
                string hostnames, dnsNames;
                await using (var select = connection.Command("SELECT hostnames, dns_names FROM inventory_assets WHERE ip = @ip", transaction).With("@ip", ip))
                await using (var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false))
                {
                    if (!await reader.ReadAsync(token).ConfigureAwait(false)) continue;
                    (hostnames, dnsNames) = (reader.GetString(0), reader.GetString(1));
                }

                var all = new SortedSet<string>(Split(hostnames), StringComparer.Ordinal);
                var added = names.Where(all.Add).ToList();
                var fromDns = new SortedSet<string>(Split(dnsNames), StringComparer.Ordinal);
                fromDns.UnionWith(names);
                await using var update = connection.Command("""
                    UPDATE inventory_assets SET hostnames = @hostnames, dns_names = @dns, dns_checked = @at,
                        search = CASE WHEN @added = '' THEN search ELSE search || ' ' || @added END
                    WHERE ip = @ip
                    """, transaction)
                    .With("@hostnames", string.Join(' ', all)).With("@dns", string.Join(' ', fromDns)).With("@at", RecordsCommands.Microseconds(at))
                    .With("@added", string.Join(' ', added)).With("@ip", ip);
                await update.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            return (true, lookups.Count);
        }, ct);

    private static string[] Split(string names) => names.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static async Task ReadIpsAsync(System.Data.Common.DbCommand select, List<string> into, CancellationToken ct)
    {
        await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) into.Add(reader.GetString(0));
    }
}
