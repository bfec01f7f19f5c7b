using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Outpost.Store.Model;

namespace Outpost.Store.Records.Findings;

/// <summary>What <see cref="FindingsTable.AppendAsync"/> did: how many findings were new, or that the job's cap refused the batch.</summary>
public readonly record struct FindingsAppend(int Added, long JobTotal, bool OverCap);

/// <summary>One page of a scan's findings in key order, and the cursor of the next page (null after the last).</summary>
public sealed record FindingsPage(IReadOnlyList<StoredFinding> Findings, string? NextCursor);

/// <summary>
/// A scan's findings in the records database (docs/results.md): one row per (scan, ip, port, proto), the first report
/// of an identity kept, later ones ignored. Appends are one durable transaction each, so an acknowledged batch is on
/// disk, and a repeated batch, which finds its rows already there, can only see them once they are committed: the
/// first batch is durable before the repeat is answered (SQLite serialises writers; PostgreSQL makes the repeat's
/// conflicting insert wait for the first commit). Reads page by key and never load a scan whole.
/// </summary>
public sealed class FindingsTable(RecordsDatabase database)
{
    /// <summary>Rows an export reads per statement: each chunk is its own short read, so a long export pins no snapshot.</summary>
    private const int ExportChunk = 2_000;

    /// <summary>Rows removed per retention transaction, so retention never holds the writer for long.</summary>
    private const int RemoveChunk = 10_000;

    private const string Columns = "ip, port, proto, job_id, state, ttl, seen_at";

    private const string InsertInto = "INSERT INTO scan_findings (scan_id, job_id, seen_at, ip, port, proto, state, ttl) VALUES ";

    /// <summary>
    /// Adds the findings a job reported; identities already stored for the scan are skipped. The batch is refused
    /// whole (nothing stored) when it would take the job past <paramref name="maxPerJob"/> findings.
    /// </summary>
    public Task<FindingsAppend> AppendAsync(long scanId, long jobId, IReadOnlyList<Finding> findings, DateTimeOffset now, long maxPerJob,
        CancellationToken ct = default) =>
        database.WriteAsync<FindingsAppend>(async (connection, transaction, token) =>
        {
            // The job's tally row first: on PostgreSQL it locks the job, so concurrent batches of one job count in turn.
            long before;
            await using (var tally = connection.Command(
                "INSERT INTO job_finding_counts (job_id, scan_id, findings) VALUES (@job, @scan, 0) " +
                "ON CONFLICT (job_id) DO UPDATE SET findings = job_finding_counts.findings RETURNING findings", transaction))
            {
                tally.With("@job", jobId).With("@scan", scanId);
                before = Convert.ToInt64(await tally.ExecuteScalarAsync(token).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }

            var added = 0;
            var seenAt = RecordsCommands.Microseconds(now);
            var rows = RecordsDialect.RowsPerInsert(database.Engine);
            DbCommand? full = null;
            try
            {
                for (var start = 0; start < findings.Count; start += rows)
                {
                    var count = Math.Min(rows, findings.Count - start);
                    var insert = count == rows ? full ??= InsertCommand(connection, transaction, rows) : InsertCommand(connection, transaction, count);
                    try
                    {
                        Bind(insert, scanId, jobId, seenAt, findings, start, count);
                        added += await insert.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                    }
                    finally
                    {
                        if (!ReferenceEquals(insert, full)) await insert.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                if (full is not null) await full.DisposeAsync().ConfigureAwait(false);
            }

            if (before + added > maxPerJob) return (false, new FindingsAppend(0, before, OverCap: true));
            if (added > 0)
            {
                await using var update = connection.Command("UPDATE job_finding_counts SET findings = findings + @added WHERE job_id = @job", transaction)
                    .With("@added", (long)added).With("@job", jobId);
                await update.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            return (true, new FindingsAppend(added, before + added, OverCap: false));
        }, ct);

    /// <summary>
    /// Adds findings of the version before the records database, when a data directory of that version is upgraded
    /// (docs/records.md, "Upgrading"): each with its own scan, job and time as that version kept them, in the order
    /// given, identities already stored skipped (that version too kept an identity's first report). Idempotent, so an
    /// import cut short by a crash can simply run again: a job's count grows by the rows really inserted, in the same
    /// transaction as the rows. The per-job cap is not applied: these findings were acknowledged long ago, and an
    /// acknowledged finding is never dropped. Returns how many were new.
    /// </summary>
    public Task<int> ImportAsync(IReadOnlyList<StoredFinding> findings, CancellationToken ct = default) =>
        database.WriteAsync<int>(async (connection, transaction, token) =>
        {
            var addedPerJob = new Dictionary<long, (long ScanId, int Added)>();
            await using (var insert = connection.Command(InsertInto + "(@scan, @job, @at, @ip, @port, @proto, @state, @ttl) ON CONFLICT DO NOTHING", transaction)
                .With("@scan", null).With("@job", null).With("@at", null).With("@ip", null).With("@port", null).With("@proto", null).With("@state", null)
                .With("@ttl", null))
            {
                var parameters = insert.Parameters;
                foreach (var stored in findings)
                {
                    var f = stored.Finding;
                    parameters[0].Value = stored.ScanId;
                    parameters[1].Value = stored.JobId;
                    parameters[2].Value = RecordsCommands.Microseconds(stored.SeenAt);
                    parameters[3].Value = f.Ip;
                    parameters[4].Value = f.Port;
                    parameters[5].Value = f.Proto;
                    parameters[6].Value = f.State;
                    parameters[7].Value = (object?)f.Ttl ?? DBNull.Value;
                    if (await insert.ExecuteNonQueryAsync(token).ConfigureAwait(false) == 0) continue;
                    var (_, added) = addedPerJob.GetValueOrDefault(stored.JobId);
                    addedPerJob[stored.JobId] = (stored.ScanId, added + 1);
                }
            }

            await using var tally = connection.Command(
                "INSERT INTO job_finding_counts (job_id, scan_id, findings) VALUES (@job, @scan, @added) " +
                "ON CONFLICT (job_id) DO UPDATE SET findings = job_finding_counts.findings + excluded.findings", transaction)
                .With("@job", null).With("@scan", null).With("@added", null);
            var total = 0;
            foreach (var (jobId, (scanId, added)) in addedPerJob)
            {
                tally.Parameters[0].Value = jobId;
                tally.Parameters[1].Value = scanId;
                tally.Parameters[2].Value = added;
                await tally.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                total += added;
            }

            return (true, total);
        }, ct);

    /// <summary>Up to <paramref name="limit"/> findings of the scan after <paramref name="after"/> (from the start when null), in key order.</summary>
    public Task<FindingsPage> PageAsync(long scanId, FindingsCursor? after, int limit, CancellationToken ct = default) =>
        database.ReadAsync(async (connection, token) =>
        {
            await using var select = connection.Command(after is null
                ? $"SELECT {Columns} FROM scan_findings WHERE scan_id = @scan ORDER BY ip, port, proto LIMIT @limit"
                : $"SELECT {Columns} FROM scan_findings WHERE scan_id = @scan AND (ip, port, proto) > (@ip, @port, @proto) ORDER BY ip, port, proto LIMIT @limit");
            select.With("@scan", scanId).With("@limit", limit);
            if (after is { } cursor) select.With("@ip", cursor.Ip).With("@port", cursor.Port).With("@proto", cursor.Proto);
            var page = new List<StoredFinding>(Math.Min(limit, 1024));
            await using var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false)) page.Add(Read(reader, scanId));
            var next = page.Count == limit ? new FindingsCursor(page[^1].Finding.Ip, page[^1].Finding.Port, page[^1].Finding.Proto).Encode() : null;
            return new FindingsPage(page, next);
        }, ct);

    /// <summary>Every finding of the scan in key order, read a chunk at a time: memory stays constant whatever the scan's size.</summary>
    public async IAsyncEnumerable<StoredFinding> ExportAsync(long scanId, [EnumeratorCancellation] CancellationToken ct = default)
    {
        FindingsCursor? after = null;
        while (true)
        {
            var page = await PageAsync(scanId, after, ExportChunk, ct).ConfigureAwait(false);
            foreach (var finding in page.Findings) yield return finding;
            if (page.NextCursor is null) yield break;
            var last = page.Findings[^1].Finding;
            after = new FindingsCursor(last.Ip, last.Port, last.Proto);
        }
    }

    /// <summary>
    /// Retention: removes the findings of every scan that <paramref name="scanExists"/> says is gone, in short
    /// transactions. A sweep rather than a list of removed scans, so findings left by a crash between the job store's
    /// removal and this one go at the next pass. Returns how many findings were removed.
    /// </summary>
    public async Task<long> RemoveGoneScansAsync(Func<long, bool> scanExists, CancellationToken ct = default)
    {
        var scans = await database.ReadAsync(async (connection, token) =>
        {
            await using var select = connection.Command("SELECT DISTINCT scan_id FROM job_finding_counts");
            return await select.ReadAllAsync(reader => reader.GetInt64(0), token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

        long removed = 0;
        foreach (var scanId in scans)
        {
            if (scanExists(scanId)) continue;
            int chunk;
            do
            {
                chunk = await database.WriteAsync(async (connection, transaction, token) =>
                {
                    await using var delete = connection.Command(
                        "DELETE FROM scan_findings WHERE scan_id = @scan AND (ip, port, proto) IN " +
                        "(SELECT ip, port, proto FROM scan_findings WHERE scan_id = @scan LIMIT @limit)", transaction)
                        .With("@scan", scanId).With("@limit", RemoveChunk);
                    var deleted = await delete.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                    if (deleted < RemoveChunk)
                    {
                        await using var tallies = connection.Command("DELETE FROM job_finding_counts WHERE scan_id = @scan", transaction).With("@scan", scanId);
                        await tallies.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                    }

                    return (true, deleted);
                }, ct).ConfigureAwait(false);
                removed += chunk;
            }
            while (chunk == RemoveChunk);
        }

        return removed;
    }

    private static StoredFinding Read(DbDataReader r, long scanId) =>
        new(scanId, r.GetInt64(3), new Finding(r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetString(4), r.IsDBNull(5) ? null : r.GetInt32(5)),
            RecordsCommands.Time(r.GetInt64(6)));

    /// <summary>An insert of <paramref name="rows"/> findings; its parameters: scan, job, time, then ip, port, proto, state, ttl per row.</summary>
    private static DbCommand InsertCommand(DbConnection connection, DbTransaction transaction, int rows)
    {
        var sql = new StringBuilder(InsertInto);
        for (var i = 0; i < rows; i++)
        {
            if (i > 0) sql.Append(", ");
            sql.Append(CultureInfo.InvariantCulture, $"(@scan, @job, @at, @i{i}, @p{i}, @r{i}, @s{i}, @t{i})");
        }

        var command = connection.Command(sql.Append(" ON CONFLICT DO NOTHING").ToString(), transaction).With("@scan", null).With("@job", null).With("@at", null);
        for (var i = 0; i < rows; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            command.With("@i" + n, null).With("@p" + n, null).With("@r" + n, null).With("@s" + n, null).With("@t" + n, null);
        }

        return command;
    }

    private static void Bind(DbCommand insert, long scanId, long jobId, long seenAt, IReadOnlyList<Finding> findings, int start, int count)
    {
        var parameters = insert.Parameters;
        parameters[0].Value = scanId;
        parameters[1].Value = jobId;
        parameters[2].Value = seenAt;
        for (var i = 0; i < count; i++)
        {
            var f = findings[start + i];
            var at = 3 + i * 5;
            parameters[at].Value = f.Ip;
            parameters[at + 1].Value = f.Port;
            parameters[at + 2].Value = f.Proto;
            parameters[at + 3].Value = f.State;
            parameters[at + 4].Value = (object?)f.Ttl ?? DBNull.Value;
        }
    }
}
