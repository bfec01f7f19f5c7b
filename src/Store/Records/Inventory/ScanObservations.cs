using System.Data.Common;
using System.Text.Json;

namespace Outpost.Store.Records.Inventory;

/// <summary>What one scan saw of one service, and the hostnames it learned for the address.</summary>
internal sealed record Observation(ServiceSnapshot Facts, string? FactsJson, bool Screenshot, IReadOnlyList<string> Hostnames);

/// <summary>
/// A slice of a scan's results: the addresses (<see cref="AfterIp"/>, <see cref="LastIp"/>] (null: to the end of the
/// scan), the addresses in it with open findings, how many results it covers (open findings plus fingerprint
/// records, as the processing row's total counts them) and, in key order, the services a capability (fingerprint,
/// crawler, screenshot) said more of than "open".
/// </summary>
internal sealed record ScanSlice(string? AfterIp, string? LastIp, IReadOnlyList<string> FindingIps, long Results, IReadOnlyList<Observation> Enriched)
{
    /// <summary>The slice's addresses that have results, once each.</summary>
    public IEnumerable<string> Ips => FindingIps.Concat(Enriched.Select(o => o.Facts.Ip)).Distinct(StringComparer.Ordinal);

    /// <summary>The slice's highest address with results, or null when it has none.</summary>
    public string? LastObservedIp => Ips.Max(StringComparer.Ordinal);
}

/// <summary>
/// Reads a slice of a scan's results, whole addresses at a time: which addresses have open ports (the port scan's
/// findings), and, merged per service, the fingerprint's service, product, version, TLS certificate and HTTP title,
/// the crawler's page titles and whether a screenshot exists. Closed and filtered ports are not services.
/// </summary>
internal static class ScanObservations
{
    /// <summary>
    /// The last address of the next slice: the one at row <paramref name="rows"/> of the scan's open findings after
    /// <paramref name="afterIp"/>, or null when fewer rows are left (the slice then runs to the end of the scan).
    /// </summary>
    public static async Task<string?> SliceEndAsync(DbConnection connection, DbTransaction transaction, long scanId, string? afterIp, int rows,
        CancellationToken ct)
    {
        await using var select = connection.Command(
            "SELECT ip FROM scan_findings WHERE scan_id = @scan AND ip > @after AND state = 'open' ORDER BY ip, port, proto LIMIT 1 OFFSET @skip", transaction)
            .With("@scan", scanId).With("@after", afterIp ?? "").With("@skip", rows - 1);
        return await select.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    /// <summary>
    /// The slice (<paramref name="afterIp"/>, <paramref name="lastIp"/>] of the scan: the addresses with open findings
    /// (the findings themselves stay in the engine, <see cref="InventoryFold"/> writes them set-based) and, in key
    /// order, the services the capabilities added facts to.
    /// </summary>
    public static async Task<ScanSlice> ReadAsync(DbConnection connection, DbTransaction transaction, RecordsEngine engine, long scanId,
        string? afterIp, string? lastIp, CancellationToken ct)
    {
        var findingIps = new List<string>();
        long findings = 0, serviceRows = 0;
        await using (var select = SliceCommand(connection, transaction, scanId, afterIp, lastIp,
            $"SELECT ip, count(*) FROM scan_findings WHERE scan_id = @scan AND state = 'open' AND {Within("ip", lastIp)} GROUP BY ip"))
        {
            await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                findingIps.Add(reader.GetString(0));
                findings += reader.GetInt64(1);
            }
        }

        var merged = new SortedDictionary<(string Ip, int Port, string Proto), Observation>(KeyOrder.Instance);
        await using (var services = SliceCommand(connection, transaction, scanId, afterIp, lastIp,
            $"SELECT ip, port, service, product, version, facts FROM scan_services WHERE scan_id = @scan AND {Within(Key(engine), lastIp)}"))
        {
            await using var reader = await services.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                serviceRows++;
                var service = reader.GetString(2);
                if (service is "closed" or "filtered") continue;
                var facts = reader.GetString(5);
                var (proto, subject, sha256, notAfter, title, hostnames) = ParseFacts(facts);
                var key = (reader.GetString(0), reader.GetInt32(1), proto);
                merged[key] = new Observation(new ServiceSnapshot(key.Item1, key.Item2, proto, service, reader.GetStringOrNull(3), reader.GetStringOrNull(4),
                    subject, sha256, notAfter, title), facts, false, hostnames);
            }
        }

        await using (var pages = SliceCommand(connection, transaction, scanId, afterIp, lastIp,
            $"SELECT ip, port, title, url FROM scan_pages WHERE scan_id = @scan AND {Within(Key(engine), lastIp)} AND title IS NOT NULL ORDER BY depth DESC, url DESC"))
        {
            await using var reader = await pages.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                // Shallowest page last, so its title wins; the fingerprint's own title wins over any page's.
                var key = (reader.GetString(0), reader.GetInt32(1), "tcp");
                var seen = merged.GetValueOrDefault(key) ?? Bare(key);
                var host = Uri.TryCreate(reader.GetString(3), UriKind.Absolute, out var url) && url.HostNameType == UriHostNameType.Dns ? url.IdnHost : null;
                merged[key] = seen with
                {
                    Facts = seen.FactsJson is null || seen.Facts.HttpTitle is null ? seen.Facts with { HttpTitle = reader.GetString(2) } : seen.Facts,
                    Hostnames = host is null || seen.Hostnames.Contains(host) ? seen.Hostnames : [.. seen.Hostnames, host.ToLowerInvariant()],
                };
            }
        }

        await using (var shots = SliceCommand(connection, transaction, scanId, afterIp, lastIp,
            $"SELECT ip, port FROM scan_screenshots WHERE scan_id = @scan AND {Within(Key(engine), lastIp)}"))
        {
            await using var reader = await shots.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var key = (reader.GetString(0), reader.GetInt32(1), "tcp");
                merged[key] = (merged.GetValueOrDefault(key) ?? Bare(key)) with { Screenshot = true };
            }
        }

        return new ScanSlice(afterIp, lastIp, findingIps, findings + serviceRows, [.. merged.Values]);
    }

    /// <summary>
    /// The condition "<paramref name="column"/> in the slice": after <c>@after</c> and, unless the slice runs to the end
    /// of the scan (<paramref name="lastIp"/> null), up to <c>@last</c>.
    /// </summary>
    public static string Within(string column, string? lastIp) => $"{column} > @after" + (lastIp is null ? "" : $" AND {column} <= @last");

    /// <summary>Binds the bounds that <see cref="Within"/> names: <c>@after</c> (the start of the scan when null) and <c>@last</c>.</summary>
    public static DbCommand WithSliceBounds(this DbCommand command, string? afterIp, string? lastIp) =>
        command.With("@after", afterIp ?? "").With("@last", lastIp);

    /// <summary>Binds the bounds of <paramref name="slice"/> that <see cref="Within"/> names.</summary>
    public static DbCommand WithSliceBounds(this DbCommand command, ScanSlice slice) => command.WithSliceBounds(slice.AfterIp, slice.LastIp);

    /// <summary>A read of one slice of the scan's results: <paramref name="sql"/> with <c>@scan</c> and the slice's bounds bound.</summary>
    private static DbCommand SliceCommand(DbConnection connection, DbTransaction transaction, long scanId, string? afterIp, string? lastIp, string sql) =>
        connection.Command(sql, transaction).With("@scan", scanId).WithSliceBounds(afterIp, lastIp);

    /// <summary>
    /// The capabilities' tables keep the engine's default collation on PostgreSQL; the slice bounds compare bytewise,
    /// as the findings (and the inventory) order addresses.
    /// </summary>
    private static string Key(RecordsEngine engine) => engine == RecordsEngine.Postgres ? "ip COLLATE \"C\"" : "ip";

    private static Observation Bare((string Ip, int Port, string Proto) key) =>
        new(new ServiceSnapshot(key.Ip, key.Port, key.Proto, null, null, null, null, null, null, null), null, false, []);

    /// <summary>The facts the inventory keeps from a fingerprint's JSON record (docs/capabilities.md): TLS certificate, HTTP title, SAN hostnames.</summary>
    private static (string Proto, string? Subject, string? Sha256, DateTimeOffset? NotAfter, string? Title, IReadOnlyList<string> Hostnames) ParseFacts(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var proto = root.TryGetProperty("proto", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "tcp";
            string? subject = null, sha256 = null, title = null;
            DateTimeOffset? notAfter = null;
            var hostnames = new List<string>();
            if (root.TryGetProperty("tls", out var tls) && tls.ValueKind == JsonValueKind.Object)
            {
                subject = String(tls, "subject");
                sha256 = String(tls, "sha256");
                notAfter = tls.TryGetProperty("notAfter", out var expiry) && expiry.TryGetDateTimeOffset(out var at) ? at : null;
                if (tls.TryGetProperty("sans", out var sans) && sans.ValueKind == JsonValueKind.Array)
                {
                    foreach (var san in sans.EnumerateArray())
                    {
                        // DNS names only (an address SAN says nothing new); a wildcard is not a host.
                        if (san.GetString() is { Length: > 0 } name && !name.StartsWith('*') && Uri.CheckHostName(name) == UriHostNameType.Dns)
                        {
                            hostnames.Add(name.ToLowerInvariant());
                        }
                    }
                }
            }

            if (root.TryGetProperty("http", out var http) && http.ValueKind == JsonValueKind.Object) title = String(http, "title");
            return (proto, subject, sha256, notAfter, title, hostnames);
        }
        catch (JsonException)
        {
            return ("tcp", null, null, null, null, []);
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Bytewise key order, the order both engines page in.</summary>
    private sealed class KeyOrder : IComparer<(string Ip, int Port, string Proto)>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare((string Ip, int Port, string Proto) x, (string Ip, int Port, string Proto) y)
        {
            var c = string.CompareOrdinal(x.Ip, y.Ip);
            if (c != 0) return c;
            c = x.Port.CompareTo(y.Port);
            return c != 0 ? c : string.CompareOrdinal(x.Proto, y.Proto);
        }
    }
}
