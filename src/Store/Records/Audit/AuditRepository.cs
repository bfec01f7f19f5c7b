using System.Runtime.CompilerServices;

namespace Outpost.Store.Records.Audit;

/// <summary>
/// One audit entry: who (user and role, or null when the caller was not signed in), from where, what (action is the
/// method and route, e.g. <c>POST /api/scans/{id}/stop</c>; target the route's values, e.g. <c>id=7</c>) and the
/// HTTP status it got.
/// </summary>
public sealed record AuditEntry(long Id, DateTimeOffset At, string? Username, string? Role, string? SourceIp, string Action, string? Target, int Status);

/// <summary>
/// The audit log in the records database (docs/users-and-audit.md): append, search newest first with a cursor, read
/// in pages for export, and prune by age. There is deliberately no update and no single-entry delete.
/// </summary>
public sealed class AuditRepository(RecordsDatabase records)
{
    /// <summary>How many entries an export reads per statement: short reads, so a long export does not pin SQLite's WAL.</summary>
    public const int ExportPage = 1000;

    private const string Columns = "id, at, username, role, source_ip, action, target, status";

    private const string Filter =
        " AND (lower(coalesce(username, '')) LIKE @q ESCAPE '\\' OR lower(action) LIKE @q ESCAPE '\\' " +
        "OR lower(coalesce(target, '')) LIKE @q ESCAPE '\\' OR lower(coalesce(source_ip, '')) LIKE @q ESCAPE '\\' " +
        "OR lower(coalesce(role, '')) LIKE @q ESCAPE '\\')";

    /// <summary>Appends one entry; it is durable when the task completes.</summary>
    public Task AppendAsync(AuditEntry entry, CancellationToken ct = default) =>
        records.WriteAsync(async (c, tx, t) =>
        {
            await using var command = c.Command(
                    "INSERT INTO audit_log (at, username, role, source_ip, action, target, status) VALUES (@at, @user, @role, @ip, @action, @target, @status)",
                    tx)
                .With("at", RecordsCommands.Microseconds(entry.At)).With("user", entry.Username).With("role", entry.Role).With("ip", entry.SourceIp)
                .With("action", entry.Action).With("target", entry.Target).With("status", entry.Status);
            await command.ExecuteNonQueryAsync(t);
            return (true, true);
        }, ct);

    /// <summary>Up to <paramref name="limit"/> entries older than <paramref name="before"/> (an id; null: the newest), newest first.</summary>
    public Task<IReadOnlyList<AuditEntry>> QueryAsync(string? text, long? before, int limit, CancellationToken ct = default) =>
        records.ReadAsync<IReadOnlyList<AuditEntry>>(async (c, t) =>
        {
            await using var command = c.Command(
                    $"SELECT {Columns} FROM audit_log WHERE id < @before{(string.IsNullOrEmpty(text) ? "" : Filter)} ORDER BY id DESC LIMIT @limit")
                .With("before", before ?? long.MaxValue).With("q", string.IsNullOrEmpty(text) ? "" : Contains(text)).With("limit", limit);
            await using var reader = await command.ExecuteReaderAsync(t);
            var entries = new List<AuditEntry>(Math.Min(limit, ExportPage));
            while (await reader.ReadAsync(t))
            {
                entries.Add(new AuditEntry(reader.GetInt64(0), RecordsCommands.Time(reader.GetInt64(1)), Text(reader, 2), Text(reader, 3), Text(reader, 4),
                    reader.GetString(5), Text(reader, 6), reader.GetInt32(7)));
            }

            return entries;
        }, ct);

    /// <summary>Every matching entry, newest first, read a page at a time as the caller consumes them (for CSV export).</summary>
    public async IAsyncEnumerable<AuditEntry> StreamAsync(string? text, [EnumeratorCancellation] CancellationToken ct = default)
    {
        long? before = null;
        while (true)
        {
            var page = await QueryAsync(text, before, ExportPage, ct);
            foreach (var entry in page)
            {
                yield return entry;
            }

            if (page.Count < ExportPage)
            {
                yield break;
            }

            before = page[^1].Id;
        }
    }

    /// <summary>Removes entries older than <paramref name="cutoff"/>; returns how many.</summary>
    public Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken ct = default) =>
        records.WriteAsync(async (c, tx, t) =>
        {
            await using var command = c.Command("DELETE FROM audit_log WHERE at < @cutoff", tx).With("cutoff", RecordsCommands.Microseconds(cutoff));
            return (true, await command.ExecuteNonQueryAsync(t));
        }, ct);

    private static string? Text(System.Data.Common.DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>A LIKE pattern matching <paramref name="text"/> anywhere, its wildcards taken literally (ESCAPE '\').</summary>
    private static string Contains(string text) =>
        "%" + text.ToLowerInvariant().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";
}
