using System.Buffers;
using Microsoft.Extensions.Logging;
using Outpost.Store.Model;
using Outpost.Store.Records;
using Outpost.Store.Records.Findings;
using Outpost.Store.Records.Inventory;

namespace Outpost.Store.Faster;

// The upgrade of a store from the version before the records database: the findings that version kept in the catalog
// move into the records database (docs/records.md, "Upgrading"). Runs once, at open, before the checkpointer starts.
public sealed partial class FasterOutpostStore
{
    /// <summary>Findings per records transaction: short enough not to hold SQLite's writer long, long enough to import fast.</summary>
    private const int RetiredFindingsBatch = 5_000;

    /// <summary>
    /// Moves the findings of the version before the records database into <paramref name="records"/>, in the order that
    /// version recorded them: the checkpoint's findings list, then the log's findings changes after it. Findings of
    /// scans that are gone after replay are left out, as that version's replay left them out. Then a checkpoint, whose
    /// catalog has no findings list and whose log starts after the last findings change: from then on the store holds
    /// none, and no later start imports anything.
    ///
    /// Exactly once, without a marker of its own: the import runs before any checkpoint could drop the old findings,
    /// and it is idempotent (<see cref="FindingsTable.ImportAsync"/> skips identities already stored and counts only
    /// the rows it inserted, in the same transaction). A crash before that checkpoint, during the import or after it,
    /// finds the old findings still in the store at the next start and imports them again, which adds only what the
    /// cut-short import had not committed.
    /// </summary>
    private async Task ImportRetiredFindingsAsync(RecordsDatabase records, CancellationToken ct)
    {
        if (_isNew) return;
        var manifest = ReadManifest(_options.DataDirectory);
        var checkpointFindings = CatalogRetiredFindings.Find(File.ReadAllBytes(Path.Combine(_options.DataDirectory, manifest.CatalogFile)));
        if (checkpointFindings is null && !_catalog.ReplayedRetiredFindings) return;

        var import = new RetiredFindingsImport(new FindingsTable(records), _catalog);
        if (checkpointFindings is not null)
        {
            for (var batch = checkpointFindings.Next(RetiredFindingsBatch); batch.Count > 0; batch = checkpointFindings.Next(RetiredFindingsBatch))
            {
                import.Add(batch);
                await import.FlushAsync(ct).ConfigureAwait(false);
            }
        }

        if (_catalog.ReplayedRetiredFindings)
        {
            using var iterator = _wal.Scan(Math.Max(manifest.WalStart, _wal.BeginAddress));
            while (iterator.GetNext(MemoryPool<byte>.Shared, out var owner, out var length, out _))
            {
                using (owner) AddRetiredFindings(owner.Memory[..length], import);
                if (import.Pending >= RetiredFindingsBatch) await import.FlushAsync(ct).ConfigureAwait(false);
            }
            await import.FlushAsync(ct).ConfigureAwait(false);
        }

        var processing = new InventoryProcessing(records);
        foreach (var scanId in import.Scans)
        {
            if (GetScan(scanId) is { FinishedAt: { } finishedAt } scan && scan.Status.IsFinished())
                await processing.MarkImportedAsync(scanId, InventoryProcessing.RunKey(scan.Spec), finishedAt, ct).ConfigureAwait(false);
        }

        await CheckpointAsync(withIndex: null, ct).ConfigureAwait(false);
        LogRetiredFindingsImported(_logger, import.Read, import.Added, import.Scans.Count, records.Where);
    }

    private static void AddRetiredFindings(ReadOnlyMemory<byte> entry, RetiredFindingsImport import)
    {
        var reader = new WalEntryReader(entry.Span);
        while (reader.Next(out var part, out var payload))
            if (part == WalPart.Catalog && Catalog.Deserialize(payload) is RetiredFindingsAdded added) import.Add(added.Findings);
    }

    /// <summary>The findings being imported: the next batch, and what was read, added and touched so far.</summary>
    private sealed class RetiredFindingsImport(FindingsTable table, Catalog catalog)
    {
        private readonly List<StoredFinding> _pending = [];

        public HashSet<long> Scans { get; } = [];
        public long Read { get; private set; }
        public long Added { get; private set; }
        public int Pending => _pending.Count;

        public void Add(IEnumerable<StoredFinding> findings)
        {
            foreach (var finding in findings)
            {
                Read++;
                if (catalog.Scan(finding.ScanId) is null) continue;
                _pending.Add(finding);
                Scans.Add(finding.ScanId);
            }
        }

        public async Task FlushAsync(CancellationToken ct)
        {
            if (_pending.Count == 0) return;
            Added += await table.ImportAsync(_pending, ct).ConfigureAwait(false);
            _pending.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "upgrade: {Read} findings of the version before the records database read from the job store, {Added} of them new in {Where} ({Scans} scans)")]
    private static partial void LogRetiredFindingsImported(ILogger logger, long read, long added, int scans, string where);
}
