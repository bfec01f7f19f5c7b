using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

// Scanners, documents and alarms: control-path changes to the catalog, each logged under the catalog's lock.
public sealed partial class FasterOutpostStore
{
    public async ValueTask<Scanner> CreateScannerAsync(string name, byte[] apiKeyHash, IReadOnlyList<string> allowedCidrs,
        int? maxProbesPerSecond, DateTimeOffset now, CancellationToken ct = default)
    {
        Scanner scanner;
        long until;
        lock (catalog.Mutation)
        {
            scanner = new Scanner
            {
                Id = catalog.NextScannerId(),
                Name = name,
                ApiKeyHash = apiKeyHash,
                AllowedCidrs = allowedCidrs,
                MaxProbesPerSecond = maxProbesPerSecond,
                Enabled = true,
                CreatedAt = now,
            };
            until = LogCatalogChange(new ScannerPut(scanner));
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return scanner;
    }

    public Scanner? GetScanner(long scannerId) => catalog.Scanner(scannerId);

    public Scanner? FindScannerByKeyHash(ReadOnlySpan<byte> apiKeyHash) => catalog.ScannerByKey(apiKeyHash);

    public IReadOnlyList<Scanner> ListScanners() => [.. catalog.Scanners.OrderBy(s => s.Id)];

    public ValueTask<(StoreStatus Status, Scanner? Scanner)> UpdateScannerAsync(long scannerId, ScannerPatch patch, CancellationToken ct = default) =>
        ChangeScannerAsync(scannerId, s => s with
        {
            Name = patch.Name ?? s.Name,
            Enabled = patch.Enabled ?? s.Enabled,
            AllowedCidrs = patch.AllowedCidrs ?? s.AllowedCidrs,
            MaxProbesPerSecond = patch.ClearMaxProbesPerSecond ? null : patch.MaxProbesPerSecond ?? s.MaxProbesPerSecond,
        }, ct);

    public ValueTask<(StoreStatus Status, Scanner? Scanner)> RotateScannerKeyAsync(long scannerId, byte[] newApiKeyHash, CancellationToken ct = default) =>
        ChangeScannerAsync(scannerId, s => s with { ApiKeyHash = newApiKeyHash }, ct);

    public async ValueTask<StoreStatus> RecordHeartbeatAsync(long scannerId, DateTimeOffset at, string? sourceIp, string? version,
        IReadOnlyList<ScannerCapability>? capabilities = null, CancellationToken ct = default) =>
        (await ChangeScannerAsync(scannerId, s => s with
        {
            LastHeartbeatAt = at,
            SourceIp = sourceIp ?? s.SourceIp,
            Version = version ?? s.Version,
            Capabilities = capabilities ?? s.Capabilities,
        }, ct)
            .ConfigureAwait(false)).Status;

    private async ValueTask<(StoreStatus Status, Scanner? Scanner)> ChangeScannerAsync(long scannerId, Func<Scanner, Scanner> change, CancellationToken ct)
    {
        Scanner changed;
        long until;
        lock (catalog.Mutation)
        {
            if (catalog.Scanner(scannerId) is not { } scanner) return (StoreStatus.NotFound, null);
            changed = change(scanner);
            until = LogCatalogChange(new ScannerPut(changed));
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return (StoreStatus.Ok, changed);
    }

    public string? GetDocument(string collection, string key) => catalog.Document(collection, key);

    public IReadOnlyList<KeyValuePair<string, string>> ListDocuments(string collection) => [.. catalog.Documents(collection).OrderBy(d => d.Key, StringComparer.Ordinal)];

    public ValueTask PutDocumentAsync(string collection, string key, string json, CancellationToken ct = default) =>
        CommitCatalogChangeAsync(new DocumentPut(collection, key, json), ct);

    public async ValueTask<bool> DeleteDocumentAsync(string collection, string key, CancellationToken ct = default)
    {
        long until;
        lock (catalog.Mutation)
        {
            if (catalog.Document(collection, key) is null) return false;
            until = LogCatalogChange(new DocumentRemoved(collection, key));
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return true;
    }

    public ValueTask RaiseAlarmAsync(Alarm alarm, CancellationToken ct = default) => CommitCatalogChangeAsync(new AlarmPut(alarm), ct);

    public async ValueTask ClearAlarmAsync(string kind, string subject, CancellationToken ct = default)
    {
        long until;
        lock (catalog.Mutation)
        {
            if (!catalog.Alarms.Any(a => a.Kind == kind && a.Subject == subject)) return;
            until = LogCatalogChange(new AlarmRemoved(kind, subject));
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
    }

    public IReadOnlyList<Alarm> ListAlarms() => [.. catalog.Alarms.OrderBy(a => a.RaisedAt)];

    private async ValueTask CommitCatalogChangeAsync(CatalogChange change, CancellationToken ct)
    {
        long until;
        lock (catalog.Mutation) until = LogCatalogChange(change);
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
    }

    /// <summary>Applies a change and appends it to the log; the caller holds the lock that orders the entity's changes.</summary>
    private long LogCatalogChange(CatalogChange change)
    {
        catalog.Apply(change);
        var entry = WalEntry.Begin();
        entry.AddCatalog(Catalog.Serialize(change));
        return wal.Append(entry.Bytes);
    }
}
