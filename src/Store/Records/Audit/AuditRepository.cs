using System.Runtime.CompilerServices;
using Outpost.Store.Records.Accounts;

namespace Outpost.Store.Records.Audit;

/// <summary>
/// One audit entry: who (user and role, or null when the caller was not signed in), from where, what (action is the
/// method and route, e.g. <c>POST /api/scans/{id}/stop</c>; target the route's values, e.g. <c>id=7</c>) and the
/// HTTP status it got.
/// </summary>
public sealed record AuditEntry(long Id, DateTimeOffset At, string? Username, string? Role, string? SourceIp, string Action, string? Target, int Status);

/// <summary>
/// The audit log in the records database: append, search newest first with a cursor, stream for export, and prune by
/// age. There is deliberately no update and no single-entry delete.
/// </summary>
public sealed class AuditRepository(IRecordsConnections connections)
{
    private const string Columns = "id, at, username, role, source_ip, action, target, status";

    private const string Filter =
        " AND (lower(coalesce(username, '')) LIKE @q ESCAPE '\\' OR lower(action) LIKE @q ESCAPE '\\' " +
        "OR lower(coalesce(target, '')) LIKE @q ESCAPE '\\' OR lower(coalesce(source_ip, '')) LIKE @q ESCAPE '\\' " +
        "OR lower(coalesce(role, '')) LIKE @q ESCAPE '\\')";

    /// <summary>Appends one entry; it is committed when the task completes.</summary>
    public async Task AppendAsync(AuditEntry entry, CancellationToken ct = default)
    {
        await using var connection = await connections.OpenAsync(ct);
        await using var command = connection.Command(
            "INSERT INTO audit_log (at, username, role, source_ip, action, target, status) VALUES (@at, @user, @role, @ip, @action, @target, @status)",
            ("@at", Sql.Millis(entry.At)), ("@user", entry.Username), ("@role", entry.Role), ("@ip", entry.SourceIp), ("@action", entry.Action),
            ("@target", entry.Target), ("@status", entry.Status));
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Up to <paramref name="limit"/> entries older than <paramref name="before"/> (an id; null: the newest), newest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(string? text, long? before, int limit, CancellationToken ct = default)
    {
        var entries = new List<AuditEntry>(limit);
        await foreach (var entry in ReadAsync(text, before, limit, ct))
        {
            entries.Add(entry);
        }

        return entries;
    }

    /// <summary>Every matching entry, newest first, read as the caller consumes them (for CSV export).</summary>
    public IAsyncEnumerable<AuditEntry> StreamAsync(string? text, CancellationToken ct = default) => ReadAsync(text, null, null, ct);

    /// <summary>Removes entries older than <paramref name="cutoff"/>; returns how many.</summary>
    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken ct = default)
    {
        await using var connection = await connections.OpenAsync(ct);
        await using var command = connection.Command("DELETE FROM audit_log WHERE at < @cutoff", ("@cutoff", Sql.Millis(cutoff)));
        return await command.ExecuteNonQueryAsync(ct);
    }

    private async IAsyncEnumerable<AuditEntry> ReadAsync(string? text, long? before, int? limit, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = await connections.OpenAsync(ct);
        await using var command = connection.Command(
            $"SELECT {Columns} FROM audit_log WHERE id < @before{(string.IsNullOrEmpty(text) ? "" : Filter)} ORDER BY id DESC" +
            (limit is null ? "" : " LIMIT @limit"),
            ("@before", before ?? long.MaxValue), ("@q", string.IsNullOrEmpty(text) ? "" : Sql.Contains(text)), ("@limit", limit ?? 0));
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return new AuditEntry(reader.GetInt64(0), Sql.Time(reader.GetInt64(1)), reader.NullableString(2), reader.NullableString(3),
                reader.NullableString(4), reader.GetString(5), reader.NullableString(6), (int)reader.GetInt64(7));
        }
    }
}
