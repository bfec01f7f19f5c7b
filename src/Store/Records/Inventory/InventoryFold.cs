using System.Data.Common;
using System.Text;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// Folds one slice of a scan's observations (whole addresses, in key order) into the inventory inside the caller's
/// transaction: what the scan saw (<c>inventory_scan_services</c>), the merged services and assets, the sightings and
/// the timeline. The existing rows of the slice's address range are read first, so the timeline says what is new or
/// changed and each asset's service count and search text are computed here, once per slice. A newer scan's facts
/// replace older ones; an older scan folded late (a re-run) only widens first/last seen.
/// </summary>
internal sealed class InventoryFold(DbConnection connection, DbTransaction transaction, RecordsEngine engine, long scanId, DateTimeOffset finishedAt)
{
    private const string Newer = "excluded.last_scan >= inventory_services.last_scan";
    private const string Fingerprinted = Newer + " AND excluded.service IS NOT NULL";

    private static readonly string ServicesUpsert = $"""
        ON CONFLICT (ip, port, proto) DO UPDATE SET
            service = {Pick("service", Fingerprinted)}, product = {Pick("product", Fingerprinted)}, version = {Pick("version", Fingerprinted)},
            cert_subject = {Pick("cert_subject", Fingerprinted)}, cert_sha256 = {Pick("cert_sha256", Fingerprinted)},
            cert_not_after = {Pick("cert_not_after", Fingerprinted)}, facts = {Pick("facts", Fingerprinted)},
            http_title = {Pick("http_title", Newer + " AND excluded.http_title IS NOT NULL")},
            screenshot_scan = {Pick("screenshot_scan", Newer + " AND excluded.screenshot_scan IS NOT NULL")},
            first_seen = {Pick("first_seen", "excluded.first_seen < inventory_services.first_seen")},
            first_scan = {Pick("first_scan", "excluded.first_scan < inventory_services.first_scan")},
            last_seen = {Pick("last_seen", "excluded.last_seen > inventory_services.last_seen")},
            last_scan = {Pick("last_scan", "excluded.last_scan > inventory_services.last_scan")},
            gone_scan = CASE WHEN {Newer} AND (inventory_services.gone_scan IS NULL OR excluded.last_scan > inventory_services.gone_scan)
                THEN NULL ELSE inventory_services.gone_scan END
        """;

    private const string AssetsUpsert = """
        ON CONFLICT (ip) DO UPDATE SET hostnames = excluded.hostnames, services = excluded.services, search = excluded.search,
            first_seen = CASE WHEN excluded.first_seen < inventory_assets.first_seen THEN excluded.first_seen ELSE inventory_assets.first_seen END,
            first_scan = CASE WHEN excluded.first_scan < inventory_assets.first_scan THEN excluded.first_scan ELSE inventory_assets.first_scan END,
            last_seen = CASE WHEN excluded.last_seen > inventory_assets.last_seen THEN excluded.last_seen ELSE inventory_assets.last_seen END,
            last_scan = CASE WHEN excluded.last_scan > inventory_assets.last_scan THEN excluded.last_scan ELSE inventory_assets.last_scan END
        """;

    private static string Pick(string column, string when) => $"CASE WHEN {when} THEN excluded.{column} ELSE inventory_services.{column} END";

    public async Task ApplyAsync(IReadOnlyList<Observation> observations, CancellationToken ct)
    {
        if (observations.Count == 0) return;
        var first = observations[0].Facts.Ip;
        var last = observations[^1].Facts.Ip;
        var existing = await ReadServicesAsync(first, last, ct).ConfigureAwait(false);
        var hostnames = await ReadHostnamesAsync(first, last, ct).ConfigureAwait(false);
        var at = RecordsCommands.Microseconds(finishedAt);

        using var snapshot = Inserter("inventory_scan_services", ["scan_id", "ip", "port", "proto", "service", "product", "version", "cert_subject",
            "cert_sha256", "cert_not_after", "http_title"], "ON CONFLICT (scan_id, ip, port, proto) DO UPDATE SET service = excluded.service, " +
            "product = excluded.product, version = excluded.version, cert_subject = excluded.cert_subject, cert_sha256 = excluded.cert_sha256, " +
            "cert_not_after = excluded.cert_not_after, http_title = excluded.http_title");
        using var services = Inserter("inventory_services", ["ip", "port", "proto", "service", "product", "version", "cert_subject", "cert_sha256",
            "cert_not_after", "http_title", "screenshot_scan", "facts", "first_seen", "last_seen", "first_scan", "last_scan"], ServicesUpsert);
        using var history = Inserter("inventory_history", ["ip", "scan_id", "kind", "port", "proto", "at", "detail"], "ON CONFLICT DO NOTHING");
        foreach (var o in observations)
        {
            var f = o.Facts;
            var notAfter = f.CertNotAfter is { } expiry ? RecordsCommands.Microseconds(expiry) : (long?)null;
            await snapshot.AddAsync(ct, scanId, f.Ip, f.Port, f.Proto, f.Service, f.Product, f.Version, f.CertSubject, f.CertSha256, notAfter, f.HttpTitle)
                .ConfigureAwait(false);
            await services.AddAsync(ct, f.Ip, f.Port, f.Proto, f.Service, f.Product, f.Version, f.CertSubject, f.CertSha256, notAfter, f.HttpTitle,
                o.Screenshot ? scanId : null, o.FactsJson, at, at, scanId, scanId).ConfigureAwait(false);
            var key = (f.Ip, f.Port, f.Proto);
            if (!existing.TryGetValue(key, out var before) || before.GoneScan is not null)
            {
                await history.AddAsync(ct, f.Ip, scanId, "service-new", f.Port, f.Proto, at, f.Service).ConfigureAwait(false);
            }
            else if (scanId >= before.LastScan && Changes(before.Facts, f) is { } change)
            {
                await history.AddAsync(ct, f.Ip, scanId, "service-changed", f.Port, f.Proto, at, change).ConfigureAwait(false);
            }
        }

        foreach (var ip in observations.Select(o => o.Facts.Ip).Distinct())
        {
            if (!hostnames.ContainsKey(ip)) await history.AddAsync(ct, ip, scanId, "asset-new", 0, "", at, null).ConfigureAwait(false);
        }

        await snapshot.FlushAsync(ct).ConfigureAwait(false);
        await services.FlushAsync(ct).ConfigureAwait(false);
        await history.FlushAsync(ct).ConfigureAwait(false);

        await WriteAssetsAsync(observations, existing, hostnames, at, ct).ConfigureAwait(false);
    }

    private async Task WriteAssetsAsync(IReadOnlyList<Observation> observations, Dictionary<(string, int, string), Existing> existing,
        Dictionary<string, string> hostnames, long at, CancellationToken ct)
    {
        using var sightings = Inserter("inventory_sightings", ["ip", "scan_id"], "ON CONFLICT DO NOTHING");
        using var assets = Inserter("inventory_assets", ["ip", "hostnames", "first_seen", "last_seen", "first_scan", "last_scan", "services", "search"],
            AssetsUpsert);
        var existingByIp = existing.Values.ToLookup(e => e.Facts.Ip, StringComparer.Ordinal);
        foreach (var group in observations.GroupBy(o => o.Facts.Ip))
        {
            var ip = group.Key;
            // The asset's live services after this slice: the ones it had (not gone), with this scan's facts over them.
            var live = new Dictionary<(int, string), ServiceSnapshot>();
            foreach (var service in existingByIp[ip])
            {
                if (service.GoneScan is null) live[(service.Facts.Port, service.Facts.Proto)] = service.Facts;
            }

            foreach (var o in group)
            {
                var f = o.Facts;
                live[(f.Port, f.Proto)] = live.TryGetValue((f.Port, f.Proto), out var old) && f.Service is null ? old : f;
            }

            var names = new SortedSet<string>(StringComparer.Ordinal);
            if (hostnames.TryGetValue(ip, out var known)) names.UnionWith(known.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            foreach (var o in group) names.UnionWith(o.Hostnames);
            var joined = string.Join(' ', names);
            await sightings.AddAsync(ct, ip, scanId).ConfigureAwait(false);
            await assets.AddAsync(ct, ip, joined, at, at, scanId, scanId, live.Count, SearchText(ip, joined, live.Values)).ConfigureAwait(false);
        }

        await sightings.FlushAsync(ct).ConfigureAwait(false);
        await assets.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>What a search matches: the address, hostnames, and each live service's name, product and certificate subject, lower case.</summary>
    private static string SearchText(string ip, string hostnames, IEnumerable<ServiceSnapshot> services)
    {
        var words = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var s in services)
        {
            foreach (var word in (string?[])[s.Service, s.Product, s.CertSubject])
            {
                if (!string.IsNullOrEmpty(word)) words.Add(word.ToLowerInvariant());
            }
        }

        var text = new StringBuilder(ip);
        if (hostnames.Length > 0) text.Append(' ').Append(hostnames);
        foreach (var word in words) text.Append(" | ").Append(word);
        return text.ToString();
    }

    /// <summary>What differs between the inventory's facts and a newer scan's (product/version, certificate, title), or null.</summary>
    private static string? Changes(ServiceSnapshot before, ServiceSnapshot now)
    {
        var parts = new List<string>();
        if (now.Service is not null && before.Service is not null)
        {
            if (before.Product != now.Product || before.Version != now.Version)
            {
                parts.Add($"product: {Describe(before.Product, before.Version)} -> {Describe(now.Product, now.Version)}");
            }

            if (before.CertSha256 != now.CertSha256) parts.Add($"certificate: {before.CertSha256 ?? "none"} -> {now.CertSha256 ?? "none"}");
        }

        if (now.HttpTitle is not null && before.HttpTitle is not null && before.HttpTitle != now.HttpTitle)
        {
            parts.Add($"title: '{before.HttpTitle}' -> '{now.HttpTitle}'");
        }

        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    private static string Describe(string? product, string? version) => product is null ? "unknown" : version is null ? product : product + " " + version;

    private sealed record Existing(ServiceSnapshot Facts, long LastScan, long? GoneScan);

    private async Task<Dictionary<(string, int, string), Existing>> ReadServicesAsync(string first, string last, CancellationToken ct)
    {
        var rows = new Dictionary<(string, int, string), Existing>();
        await using var select = connection.Command(
            "SELECT ip, port, proto, service, product, version, cert_subject, cert_sha256, cert_not_after, http_title, last_scan, gone_scan " +
            "FROM inventory_services WHERE ip >= @first AND ip <= @last", transaction).With("@first", first).With("@last", last);
        await using var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var facts = new ServiceSnapshot(r.GetString(0), r.GetInt32(1), r.GetString(2), Text(r, 3), Text(r, 4), Text(r, 5), Text(r, 6), Text(r, 7),
                r.IsDBNull(8) ? null : RecordsCommands.Time(r.GetInt64(8)), Text(r, 9));
            rows[(facts.Ip, facts.Port, facts.Proto)] = new Existing(facts, r.GetInt64(10), r.IsDBNull(11) ? null : r.GetInt64(11));
        }

        return rows;
    }

    private async Task<Dictionary<string, string>> ReadHostnamesAsync(string first, string last, CancellationToken ct)
    {
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var select = connection.Command("SELECT ip, hostnames FROM inventory_assets WHERE ip >= @first AND ip <= @last", transaction)
            .With("@first", first).With("@last", last);
        await using var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) rows[r.GetString(0)] = r.GetString(1);
        return rows;
    }

    private static string? Text(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    private RowInserter Inserter(string table, string[] columns, string tail) => new(connection, transaction, engine, table, columns, tail);
}
