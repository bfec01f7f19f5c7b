using System.Text;
using Npgsql;
using Outpost.Store.Model;
using Outpost.Store.Queries;

namespace Outpost.Store.Postgres;

// The Jobs page's query, done by the database in one snapshot: the window and text filter select the jobs (a CTE),
// counts are aggregated over it, failed reasons are grouped by raw error text in SQL and then by their normalized form
// here (FailedReasons is C#), and the page is the newest jobs below the cursor, limit + 1 to know whether there is more.
public sealed partial class PostgresOutpostStore
{
    private const string WindowSql =
        "WITH w AS (SELECT j.* FROM jobs j LEFT JOIN scanners sc ON sc.id = j.scanner_id " +
        "WHERE j.created_at >= $1 AND ($2::bigint IS NULL OR j.scan_id = $2) AND (($3::text IS NULL AND $4::bigint[] IS NULL) OR " +
        "(j.status = 'failed' AND j.error_message ILIKE $3) OR j.source_ip ILIKE $3 OR sc.name ILIKE $3 OR j.name ILIKE $3 OR j.targets_text ILIKE $3 " +
        "OR j.address_ranges @> ANY ($4::bigint[]))) ";

    public JobPage QueryJobs(JobQuery query)
    {
        var before = JobCursor.Before(query.Cursor);
        var text = string.IsNullOrWhiteSpace(query.Text) ? null : "%" + EscapeLike(query.Text.Trim()) + "%";
        var limit = Math.Clamp(query.Limit, 1, 1000);
        return Read(connection =>
        {
            // One snapshot for the three statements, so the counts, the reasons and the page agree with each other.
            using var snapshot = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
            StatusCounts counts;
            using (var count = Command(connection, WindowSql +
                "SELECT count(*) FILTER (WHERE status IN ('queued', 'claimed')), count(*) FILTER (WHERE status = 'running'), " +
                "count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'cancelled') FROM w"))
            {
                AddWindow(count, query, text);
                using var r = count.ExecuteReader();
                r.Read();
                counts = new StatusCounts(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4));
            }

            // Raw error texts of the window's failed jobs, grouped into reasons here.
            var reasons = new Dictionary<string, long>(StringComparer.Ordinal);
            var rawOfReason = new List<string>();
            var wantsUnknown = false;
            using (var errors = Command(connection, WindowSql + "SELECT error_message, count(*) FROM w WHERE status = 'failed' GROUP BY error_message"))
            {
                AddWindow(errors, query, text);
                using var r = errors.ExecuteReader();
                while (r.Read())
                {
                    var raw = r.IsDBNull(0) ? null : r.GetString(0);
                    var reason = FailedReasons.Normalize(raw);
                    reasons[reason] = reasons.GetValueOrDefault(reason) + r.GetInt64(1);
                    if (query.FailedReason is not null && string.Equals(reason, query.FailedReason, StringComparison.Ordinal))
                    {
                        if (raw is null) wantsUnknown = true;
                        else rawOfReason.Add(raw);
                    }
                }
            }

            var sql = new StringBuilder(WindowSql).Append("SELECT ").Append(JobColumns).Append(" FROM w WHERE id < $5");
            if (query.Status is { } wanted)
            {
                sql.Append(wanted is JobStatus.Queued or JobStatus.Claimed ? " AND status IN ('queued', 'claimed')" : " AND status = $6");
            }
            if (query.FailedReason is not null)
            {
                sql.Append(" AND status = 'failed' AND (error_message = ANY($7)").Append(wantsUnknown ? " OR error_message IS NULL)" : ")");
            }
            sql.Append(" ORDER BY id DESC LIMIT $8");
            List<Job> page;
            using (var select = Command(connection, sql.ToString()))
            {
                AddWindow(select, query, text);
                select.Parameters.Add(Long(before));
                select.Parameters.Add(Text(query.Status?.ToWire()));
                select.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rawOfReason] });
                select.Parameters.Add(Int(limit + 1));
                page = ReadJobs(select);
            }
            var more = page.Count > limit;
            if (more) page.RemoveAt(page.Count - 1);
            var failedReasons = reasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).Select(r => new FailedReason(r.Key, r.Value)).ToList();
            return new JobPage(page, counts, failedReasons, more ? JobCursor.After(page[^1].JobId) : null);
        });
    }

    private static void AddWindow(NpgsqlCommand command, JobQuery query, string? pattern)
    {
        command.Parameters.Add(At(query.Since));
        command.Parameters.Add(NullableLong(query.ScanId));
        command.Parameters.Add(Text(pattern));
        command.Parameters.Add(new NpgsqlParameter<long[]?> { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint,
            TypedValue = query.Addresses is { Count: > 0 } addresses ? [.. addresses.Select(a => (long)a)] : null });
    }

    /// <summary>Makes user text literal inside an ILIKE pattern (backslash is PostgreSQL's default escape).</summary>
    private static string EscapeLike(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
