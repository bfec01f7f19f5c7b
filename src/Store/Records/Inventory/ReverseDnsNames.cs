using System.Data.Common;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// The names reverse DNS gave for the inventory's addresses (docs/inventory.md, "Hostnames"): which addresses are due
/// a lookup (never looked up, or longer ago than the refresh age), and what a lookup returned. The names join the
/// asset's hostnames, so the search finds them as it finds a certificate's (the search text is rebuilt with them at
/// once), and <c>dns_names</c> keeps which of them reverse DNS gave.
/// Each answered lookup replaces the names the last one gave (a lookup that found no name leaves none); one that failed
/// or timed out keeps them. Either is recorded, so the address is asked about again only after the refresh age.
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

    /// <summary>
    /// Records what each lookup found as of <paramref name="at"/>: its names (lower case, no trailing dot; empty when the
    /// address has none) replace those reverse DNS gave before, and the hostnames and search text follow
    /// (<see cref="AssetNames"/>); null (the lookup failed or timed out) keeps the names the address has. Either way the
    /// address is due again after the refresh age. An address no longer in the inventory is skipped.
    /// </summary>
    public Task RecordAsync(IReadOnlyList<(string Ip, IReadOnlyList<string>? Names)> lookups, DateTimeOffset at, CancellationToken ct = default) =>
        database.WriteAsync(async (connection, transaction, token) =>
        {
            var checkedAt = RecordsCommands.Microseconds(at);
            foreach (var (ip, names) in lookups)
            {
                if (names is null)
                {
                    await using var touch = connection.Command("UPDATE inventory_assets SET dns_checked = @at WHERE ip = @ip", transaction)
                        .With("@at", checkedAt).With("@ip", ip);
                    await touch.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                    continue;
                }

                string? scanNames;
                await using (var select = connection.Command("SELECT scan_names FROM inventory_assets WHERE ip = @ip", transaction).With("@ip", ip))
                {
                    scanNames = await select.ExecuteScalarAsync(token).ConfigureAwait(false) as string;
                }

                if (scanNames is null) continue;
                var dnsNames = AssetNames.Format(names);
                var hostnames = AssetNames.Hostnames(scanNames, dnsNames);
                var search = AssetSearchText.Build(ip, hostnames, await ServiceWordsAsync(connection, transaction, ip, token).ConfigureAwait(false));
                await using var update = connection.Command(
                    "UPDATE inventory_assets SET hostnames = @hostnames, dns_names = @dns, dns_checked = @at, search = @search WHERE ip = @ip", transaction)
                    .With("@hostnames", hostnames).With("@dns", dnsNames).With("@at", checkedAt).With("@search", search).With("@ip", ip);
                await update.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            return (true, lookups.Count);
        }, ct);

    /// <summary>The words the address's live services add to its search text.</summary>
    private static async Task<List<string?>> ServiceWordsAsync(DbConnection connection, DbTransaction transaction, string ip, CancellationToken ct)
    {
        var words = new List<string?>();
        await using var select = connection.Command(
            $"SELECT {AssetSearchText.ServiceWordColumns} FROM inventory_services WHERE ip = @ip AND gone_scan IS NULL", transaction).With("@ip", ip);
        await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            for (var i = 0; i < reader.FieldCount; i++) words.Add(reader.GetStringOrNull(i));
        }

        return words;
    }

    private static async Task ReadIpsAsync(DbCommand select, List<string> into, CancellationToken ct)
    {
        await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) into.Add(reader.GetString(0));
    }
}
