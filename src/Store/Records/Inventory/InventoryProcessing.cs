using System.Data.Common;
using System.Globalization;
using Outpost.Store.Model;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// Folds a finished scan's results into the inventory (docs/inventory.md, "Processing"): a durable, resumable step.
/// <see cref="BeginAsync"/> records the scan's processing row; each <see cref="FoldAsync"/> folds the next slice of
/// whole addresses and moves the row's cursor in the same transaction, so a crash resumes after the last committed
/// slice; <see cref="SummarizeAsync"/> writes the change summary and marks the scan processed, in one transaction.
/// Every write is an upsert keyed by what it records (a service, a sighting, a timeline event), so a slice folded
/// twice (a re-run reopens a scan) changes nothing the second time.
/// </summary>
public sealed class InventoryProcessing(RecordsDatabase database)
{
    /// <summary>Open findings a slice starts from (a slice then runs to the end of its last address).</summary>
    public const int DefaultSliceRows = 5_000;

    private const string StateColumns = "scan_id, run_key, previous_scan, finished_at, cursor_ip, processed, total, phase";

    /// <summary>Runs over the same targets share a key: the capability and the targets as a set (order and repeats do not matter).</summary>
    public static string RunKey(ScanSpec spec) => spec.Capability + " " + string.Join(",", spec.Targets.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    /// <summary>
    /// The processing row of the scan's finish at <paramref name="finishedAt"/>: the existing one (to resume, or
    /// done), or a new one, which starts the processing again when the row was of an earlier finish. The previous
    /// run is the latest processed scan with the same <paramref name="runKey"/> before this one.
    /// </summary>
    public Task<ProcessingState> BeginAsync(long scanId, string runKey, DateTimeOffset finishedAt, CancellationToken ct = default) =>
        database.WriteAsync<ProcessingState>(async (connection, transaction, token) =>
        {
            var finished = RecordsCommands.Microseconds(finishedAt);
            if (await ReadStateAsync(connection, transaction, scanId, token).ConfigureAwait(false) is { } existing &&
                RecordsCommands.Microseconds(existing.FinishedAt) == finished)
            {
                return (false, existing);
            }

            long? previous;
            await using (var select = connection.Command(
                "SELECT max(scan_id) FROM inventory_processing WHERE run_key = @key AND scan_id < @scan AND phase >= @processed", transaction))
            {
                select.With("@key", runKey).With("@scan", scanId).With("@processed", (int)ProcessingPhase.Processed);
                previous = await select.ExecuteScalarAsync(token).ConfigureAwait(false) is { } value and not DBNull
                    ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : null;
            }

            long total;
            await using (var count = connection.Command(
                "SELECT (SELECT count(*) FROM scan_findings WHERE scan_id = @scan AND state = 'open') + (SELECT count(*) FROM scan_services WHERE scan_id = @scan)",
                transaction).With("@scan", scanId))
            {
                total = Convert.ToInt64(await count.ExecuteScalarAsync(token).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }

            await using (var put = connection.Command($"""
                INSERT INTO inventory_processing ({StateColumns}) VALUES (@scan, @key, @previous, @finished, NULL, 0, @total, 0)
                ON CONFLICT (scan_id) DO UPDATE SET run_key = excluded.run_key, previous_scan = excluded.previous_scan, finished_at = excluded.finished_at,
                    cursor_ip = NULL, processed = 0, total = excluded.total, phase = 0
                """, transaction))
            {
                put.With("@scan", scanId).With("@key", runKey).With("@previous", previous).With("@finished", finished).With("@total", total);
                await put.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            return (true, new ProcessingState(scanId, runKey, previous, RecordsCommands.Time(finished), null, 0, total, ProcessingPhase.Folding));
        }, ct);

    /// <summary>
    /// Folds the slice after the row's cursor (about <paramref name="sliceRows"/> open findings, whole addresses) and
    /// commits it with the moved cursor; the last slice moves the row to <see cref="ProcessingPhase.Summarizing"/>.
    /// </summary>
    public Task<ProcessingState> FoldAsync(ProcessingState state, int sliceRows = DefaultSliceRows, CancellationToken ct = default) =>
        database.WriteAsync<ProcessingState>(async (connection, transaction, token) =>
        {
            // The row as committed, not as the caller last saw it: another node may have moved it.
            var current = await ReadStateAsync(connection, transaction, state.ScanId, token).ConfigureAwait(false);
            if (current is null || current.Phase != ProcessingPhase.Folding || current.FinishedAt != state.FinishedAt) return (false, current ?? state);
            var last = await ScanObservations.SliceEndAsync(connection, transaction, current.ScanId, current.CursorIp, sliceRows, token).ConfigureAwait(false);
            var slice = await ScanObservations.ReadAsync(connection, transaction, database.Engine, current.ScanId, current.CursorIp, last, token)
                .ConfigureAwait(false);
            await new InventoryFold(connection, transaction, database.Engine, current.ScanId, current.FinishedAt).ApplyAsync(slice, token)
                .ConfigureAwait(false);
            var next = current with
            {
                CursorIp = last ?? slice.LastObservedIp ?? current.CursorIp,
                Processed = Math.Min(current.Total, current.Processed + slice.Results),
                Phase = last is null ? ProcessingPhase.Summarizing : ProcessingPhase.Folding,
            };
            if (next.Phase == ProcessingPhase.Summarizing) next = next with { Processed = next.Total };
            await using var move = connection.Command(
                "UPDATE inventory_processing SET cursor_ip = @cursor, processed = @processed, phase = @phase WHERE scan_id = @scan", transaction)
                .With("@cursor", next.CursorIp).With("@processed", next.Processed).With("@phase", (int)next.Phase).With("@scan", next.ScanId);
            await move.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return (true, next);
        }, ct);

    /// <summary>
    /// Writes the change summary against the previous run, marks what that run saw and this one did not as gone, and
    /// moves the row to <see cref="ProcessingPhase.Processed"/>, all in one transaction.
    /// </summary>
    public Task<ProcessingState> SummarizeAsync(ProcessingState state, CancellationToken ct = default) =>
        database.WriteAsync<ProcessingState>(async (connection, transaction, token) =>
        {
            var current = await ReadStateAsync(connection, transaction, state.ScanId, token).ConfigureAwait(false);
            if (current is null || current.Phase != ProcessingPhase.Summarizing || current.FinishedAt != state.FinishedAt) return (false, current ?? state);
            await ChangeSummaries.WriteAsync(connection, transaction, current.ScanId, current.PreviousScanId,
                RecordsCommands.Microseconds(current.FinishedAt), token).ConfigureAwait(false);
            await SetPhaseAsync(connection, transaction, current.ScanId, ProcessingPhase.Processed, token).ConfigureAwait(false);
            return (true, current with { Phase = ProcessingPhase.Processed });
        }, ct);

    /// <summary>
    /// Records the finish at <paramref name="finishedAt"/> of a scan whose findings an upgrade imported (docs/records.md,
    /// "Upgrading") as processed and told, without folding it: the version that ran the scan had no inventory and
    /// notified nobody, so the scan's results stay out of the inventory, and no notification or follow-up scan replays
    /// old news. A row the scan already has is kept.
    /// </summary>
    public Task MarkImportedAsync(long scanId, string runKey, DateTimeOffset finishedAt, CancellationToken ct = default) =>
        database.WriteAsync(async (connection, transaction, token) =>
        {
            await using var put = connection.Command(
                $"INSERT INTO inventory_processing ({StateColumns}) VALUES (@scan, @key, NULL, @finished, NULL, 0, 0, @phase) ON CONFLICT (scan_id) DO NOTHING",
                transaction);
            put.With("@scan", scanId).With("@key", runKey).With("@finished", RecordsCommands.Microseconds(finishedAt)).With("@phase", (int)ProcessingPhase.Notified);
            await put.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return (true, 0);
        }, ct);

    /// <summary>Records that every listener was told of the scan's processing.</summary>
    public Task MarkNotifiedAsync(long scanId, CancellationToken ct = default) =>
        database.WriteAsync(async (connection, transaction, token) =>
        {
            await SetPhaseAsync(connection, transaction, scanId, ProcessingPhase.Notified, token).ConfigureAwait(false);
            return (true, 0);
        }, ct);

    /// <summary>The scan's processing row, or null when its processing has not begun.</summary>
    public Task<ProcessingState?> GetAsync(long scanId, CancellationToken ct = default) =>
        database.ReadAsync((connection, token) => ReadStateAsync(connection, null, scanId, token), ct);

    /// <summary>Every scan's processing row, by scan id (one row per scan: the list of scans reads it whole).</summary>
    public Task<Dictionary<long, ProcessingState>> ListAsync(CancellationToken ct = default) =>
        database.ReadAsync(async (connection, token) =>
        {
            var states = new Dictionary<long, ProcessingState>();
            await using var select = connection.Command($"SELECT {StateColumns} FROM inventory_processing");
            await using var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                var state = Read(reader);
                states[state.ScanId] = state;
            }

            return states;
        }, ct);

    private static async Task SetPhaseAsync(DbConnection connection, DbTransaction transaction, long scanId, ProcessingPhase phase, CancellationToken ct)
    {
        await using var update = connection.Command("UPDATE inventory_processing SET phase = @phase WHERE scan_id = @scan", transaction)
            .With("@phase", (int)phase).With("@scan", scanId);
        await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<ProcessingState?> ReadStateAsync(DbConnection connection, DbTransaction? transaction, long scanId, CancellationToken ct)
    {
        await using var select = connection.Command($"SELECT {StateColumns} FROM inventory_processing WHERE scan_id = @scan", transaction).With("@scan", scanId);
        await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? Read(reader) : null;
    }

    private static ProcessingState Read(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt64(2), RecordsCommands.Time(r.GetInt64(3)), r.IsDBNull(4) ? null : r.GetString(4),
            r.GetInt64(5), r.GetInt64(6), (ProcessingPhase)r.GetInt32(7));
}
