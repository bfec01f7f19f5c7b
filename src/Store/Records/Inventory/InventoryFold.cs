using System.Data.Common;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// Folds one slice of a scan (<see cref="ScanSlice"/>: whole addresses) into the inventory inside the caller's
/// transaction: what the scan saw (<c>inventory_scan_services</c>), the merged services and assets, the sightings and
/// the timeline. The open findings (most of a scan) never leave the engine: the snapshot, the merged services and
/// their <c>service-new</c> events are written from <c>scan_findings</c> by one <c>INSERT … SELECT</c> each. The
/// services a capability said more of (<see cref="ScanSlice.Enriched"/>) are then written over them from C#, with
/// their timeline computed against the inventory's rows as they were. Each asset's service count and search text
/// are computed from its live services once they are written. A newer scan's facts replace older ones; an older scan
/// folded late (a re-run) only widens first/last seen.
/// </summary>
internal sealed class InventoryFold(DbConnection connection, DbTransaction transaction, RecordsEngine engine, long scanId, DateTimeOffset finishedAt)
{
    private const string Newer = "excluded.last_scan >= inventory_services.last_scan";
    private const string Fingerprinted = Newer + " AND excluded.service IS NOT NULL";
    private const string OpenFindings = "FROM scan_findings f WHERE f.scan_id = @scan AND f.state = 'open' AND ";

    private static readonly string[] SnapshotColumns = ["scan_id", "ip", "port", "proto", .. ServiceFacts.Names];

    private static readonly string SnapshotUpsert =
        $"ON CONFLICT (scan_id, ip, port, proto) DO UPDATE SET {string.Join(", ", ServiceFacts.Names.Select(c => $"{c} = excluded.{c}"))}";

    private static readonly string[] ServiceColumns = ["ip", "port", "proto", .. ServiceFacts.Names, "screenshot_scan", "facts", "first_seen", "last_seen",
        "first_scan", "last_scan"];

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
        ON CONFLICT (ip) DO UPDATE SET hostnames = excluded.hostnames, scan_names = excluded.scan_names, services = excluded.services, search = excluded.search,
            first_seen = CASE WHEN excluded.first_seen < inventory_assets.first_seen THEN excluded.first_seen ELSE inventory_assets.first_seen END,
            first_scan = CASE WHEN excluded.first_scan < inventory_assets.first_scan THEN excluded.first_scan ELSE inventory_assets.first_scan END,
            last_seen = CASE WHEN excluded.last_seen > inventory_assets.last_seen THEN excluded.last_seen ELSE inventory_assets.last_seen END,
            last_scan = CASE WHEN excluded.last_scan > inventory_assets.last_scan THEN excluded.last_scan ELSE inventory_assets.last_scan END
        """;

    /// <summary>
    /// The open findings' writes, in this order: their <c>service-new</c> events first, while the inventory's services
    /// are as they were (an enriched service's event, written before with its service name, is kept: DO NOTHING);
    /// the snapshot, with no facts (an enriched service's facts are written over it next); the merged services.
    /// Measured with <c>outpost-bench inventory --assets 20000</c> (docs/performance.md): these replaced reading every
    /// finding into C# and sending it back as JSON.
    /// </summary>
    private static string[] FindingStatements(string? lastIp)
    {
        var within = OpenFindings + ScanObservations.Within("f.ip", lastIp);
        return
        [
            "INSERT INTO inventory_history (ip, scan_id, kind, port, proto, at, detail) " +
            $"SELECT f.ip, @scan, 'service-new', f.port, f.proto, @at, NULL {within} AND NOT EXISTS (SELECT 1 FROM inventory_services s " +
            "WHERE s.ip = f.ip AND s.port = f.port AND s.proto = f.proto AND s.gone_scan IS NULL) ON CONFLICT DO NOTHING",
            $"INSERT INTO inventory_scan_services (scan_id, ip, port, proto) SELECT @scan, f.ip, f.port, f.proto {within} {SnapshotUpsert}",
            "INSERT INTO inventory_services (ip, port, proto, first_seen, last_seen, first_scan, last_scan) " +
            $"SELECT f.ip, f.port, f.proto, @at, @at, @scan, @scan {within} {ServicesUpsert}",
        ];
    }

    private static string Pick(string column, string when) => $"CASE WHEN {when} THEN excluded.{column} ELSE inventory_services.{column} END";

    public async Task ApplyAsync(ScanSlice slice, CancellationToken ct)
    {
        var at = RecordsCommands.Microseconds(finishedAt);
        var names = await ReadNamesAsync(slice, ct).ConfigureAwait(false);
        using var history = Inserter("inventory_history", ["ip", "scan_id", "kind", "port", "proto", "at", "detail"], "ON CONFLICT DO NOTHING");
        if (slice.Enriched.Count > 0)
        {
            var existing = await ReadServicesAsync(slice, ct).ConfigureAwait(false);
            foreach (var o in slice.Enriched)
            {
                var f = o.Facts;
                if (!existing.TryGetValue((f.Ip, f.Port, f.Proto), out var before) || before.GoneScan is not null)
                {
                    await history.AddAsync(ct, f.Ip, scanId, "service-new", f.Port, f.Proto, at, f.Service).ConfigureAwait(false);
                }
                else if (scanId >= before.LastScan && Changes(before.Facts, f) is { } change)
                {
                    await history.AddAsync(ct, f.Ip, scanId, "service-changed", f.Port, f.Proto, at, change).ConfigureAwait(false);
                }
            }

            await history.FlushAsync(ct).ConfigureAwait(false);
        }

        foreach (var sql in FindingStatements(slice.LastIp))
        {
            await using var command = connection.Command(sql, transaction)
                .With("@scan", scanId).With("@at", at).WithSliceBounds(slice);
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        using (var snapshot = Inserter("inventory_scan_services", SnapshotColumns, SnapshotUpsert))
        using (var services = Inserter("inventory_services", ServiceColumns, ServicesUpsert))
        {
            foreach (var o in slice.Enriched)
            {
                var f = o.Facts;
                var notAfter = f.CertNotAfter is { } expiry ? RecordsCommands.Microseconds(expiry) : (long?)null;
                await snapshot.AddAsync(ct, scanId, f.Ip, f.Port, f.Proto, f.Service, f.Product, f.Version, f.CertSubject, f.CertSha256, notAfter, f.HttpTitle)
                    .ConfigureAwait(false);
                await services.AddAsync(ct, f.Ip, f.Port, f.Proto, f.Service, f.Product, f.Version, f.CertSubject, f.CertSha256, notAfter, f.HttpTitle,
                    o.Screenshot ? scanId : null, o.FactsJson, at, at, scanId, scanId).ConfigureAwait(false);
            }

            await snapshot.FlushAsync(ct).ConfigureAwait(false);
            await services.FlushAsync(ct).ConfigureAwait(false);
        }

        foreach (var ip in slice.Ips)
        {
            if (!names.ContainsKey(ip)) await history.AddAsync(ct, ip, scanId, "asset-new", 0, "", at, null).ConfigureAwait(false);
        }

        await history.FlushAsync(ct).ConfigureAwait(false);
        await WriteAssetsAsync(slice, names, at, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The slice's assets and sightings. An asset's service count and search text come from its live services as the
    /// inventory now holds them (this slice's writes included), read once for the slice's address range. The names the
    /// slice's services learned join those scans found before (<see cref="AssetNames"/>); reverse DNS's are kept.
    /// </summary>
    private async Task WriteAssetsAsync(ScanSlice slice, Dictionary<string, KnownNames> known, long at, CancellationToken ct)
    {
        var live = new Dictionary<string, LiveServices>(StringComparer.Ordinal);
        await using (var select = connection.Command(
            $"SELECT ip, {AssetSearchText.ServiceWordColumns} FROM inventory_services WHERE {ScanObservations.Within("ip", slice.LastIp)} AND gone_scan IS NULL",
            transaction).WithSliceBounds(slice))
        await using (var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var ip = r.GetString(0);
                if (!live.TryGetValue(ip, out var services)) live[ip] = services = new LiveServices();
                services.Count++;
                services.Words.AddRange([r.GetStringOrNull(1), r.GetStringOrNull(2), r.GetStringOrNull(3)]);
            }
        }

        var learned = slice.Enriched.ToLookup(o => o.Facts.Ip, StringComparer.Ordinal);
        using var sightings = Inserter("inventory_sightings", ["ip", "scan_id"], "ON CONFLICT DO NOTHING");
        using var assets = Inserter("inventory_assets",
            ["ip", "hostnames", "scan_names", "first_seen", "last_seen", "first_scan", "last_scan", "services", "search"], AssetsUpsert);
        foreach (var ip in slice.Ips)
        {
            var before = known.GetValueOrDefault(ip) ?? KnownNames.None;
            var scanNames = AssetNames.Format(AssetNames.Parse(before.ScanNames).Concat(learned[ip].SelectMany(o => o.Hostnames)));
            var hostnames = AssetNames.Hostnames(scanNames, before.DnsNames);
            var services = live.GetValueOrDefault(ip) ?? new LiveServices();
            await sightings.AddAsync(ct, ip, scanId).ConfigureAwait(false);
            await assets.AddAsync(ct, ip, hostnames, scanNames, at, at, scanId, scanId, services.Count, AssetSearchText.Build(ip, hostnames, services.Words))
                .ConfigureAwait(false);
        }

        await sightings.FlushAsync(ct).ConfigureAwait(false);
        await assets.FlushAsync(ct).ConfigureAwait(false);
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

    /// <summary>The names an asset already has, by source (<see cref="AssetNames"/>).</summary>
    private sealed record KnownNames(string ScanNames, string DnsNames)
    {
        public static readonly KnownNames None = new("", "");
    }

    /// <summary>An asset's live services: how many, and the words they add to its search text (name, product, certificate subject).</summary>
    private sealed class LiveServices
    {
        public int Count { get; set; }

        public List<string?> Words { get; } = [];
    }

    private async Task<Dictionary<(string, int, string), Existing>> ReadServicesAsync(ScanSlice slice, CancellationToken ct)
    {
        var rows = new Dictionary<(string, int, string), Existing>();
        await using var select = connection.Command(
            $"SELECT ip, port, proto, {ServiceFacts.Columns}, last_scan, gone_scan " +
            $"FROM inventory_services WHERE {ScanObservations.Within("ip", slice.LastIp)}", transaction)
            .WithSliceBounds(slice);
        await using var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var facts = ServiceFacts.Read(r, 0, 3);
            rows[(facts.Ip, facts.Port, facts.Proto)] = new Existing(facts, r.GetInt64(10), r.IsDBNull(11) ? null : r.GetInt64(11));
        }

        return rows;
    }

    /// <summary>The names of the slice's addresses that are assets already: an address missing here is a new asset.</summary>
    private async Task<Dictionary<string, KnownNames>> ReadNamesAsync(ScanSlice slice, CancellationToken ct)
    {
        var rows = new Dictionary<string, KnownNames>(StringComparer.Ordinal);
        await using var select = connection.Command(
            $"SELECT ip, scan_names, dns_names FROM inventory_assets WHERE {ScanObservations.Within("ip", slice.LastIp)}", transaction).WithSliceBounds(slice);
        await using var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) rows[r.GetString(0)] = new KnownNames(r.GetString(1), r.GetString(2));
        return rows;
    }

    private RowInserter Inserter(string table, string[] columns, string tail) => new(connection, transaction, engine, table, columns, tail);
}
