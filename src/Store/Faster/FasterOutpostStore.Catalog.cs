using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

// Scanners, documents and alarms: control-path changes to the catalog, each logged under the catalog's lock.
public sealed partial class FasterOutpostStore
{
    public async ValueTask<Scanner> CreateScannerAsync(string name, byte[] apiKeyHash, IReadOnlyList<string> allowedCidrs,
        int? maxProbesPerSecond, DateTimeOffset now, string? pool = null, CancellationToken ct = default)
    {
        EnsureWritable();
        Scanner scanner;
        long until;
        lock (_catalog.Mutation)
        {
            scanner = new Scanner
            {
                Id = _catalog.NextScannerId(),
                Name = name,
                ApiKeyHash = apiKeyHash,
                AllowedCidrs = allowedCidrs,
                MaxProbesPerSecond = maxProbesPerSecond,
                Enabled = true,
                CreatedAt = now,
                Pool = pool,
            };
            until = LogCatalogChange(new ScannerPut(scanner));
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return scanner;
    }

    public Scanner? GetScanner(long scannerId) => _catalog.Scanner(scannerId);

    public Scanner? FindScannerByKeyHash(ReadOnlySpan<byte> apiKeyHash) => _catalog.ScannerByKey(apiKeyHash);

    public IReadOnlyList<Scanner> ListScanners() => [.. _catalog.Scanners.OrderBy(s => s.Id)];

    public ValueTask<(StoreStatus Status, Scanner? Scanner)> UpdateScannerAsync(long scannerId, ScannerPatch patch, CancellationToken ct = default) =>
        ChangeScannerAsync(scannerId, s => s with
        {
            Name = patch.Name ?? s.Name,
            Enabled = patch.Enabled ?? s.Enabled,
            AllowedCidrs = patch.AllowedCidrs ?? s.AllowedCidrs,
            MaxProbesPerSecond = patch.ClearMaxProbesPerSecond ? null : patch.MaxProbesPerSecond ?? s.MaxProbesPerSecond,
            Pool = patch.ClearPool ? null : patch.Pool ?? s.Pool,
        }, ct);

    public ValueTask<(StoreStatus Status, Scanner? Scanner)> RotateScannerKeyAsync(long scannerId, byte[] newApiKeyHash, CancellationToken ct = default) =>
        ChangeScannerAsync(scannerId, s => s with { ApiKeyHash = newApiKeyHash }, ct);

    /// <summary>
    /// A heartbeat changes memory only, so an idle appliance does not write (docs/store-operations.md, "Quiet when
    /// idle"). It reaches the disk when the scanner's address or version changes, on its first beat since the store
    /// opened, and otherwise at most once per <see cref="FasterStoreOptions.HeartbeatPersistInterval"/>: after a crash
    /// the last-seen time is at most that old. Online and offline transitions are durable as alarms, which the
    /// supervisor raises and clears.
    /// </summary>
    public async ValueTask<StoreStatus> RecordHeartbeatAsync(long scannerId, DateTimeOffset at, string? sourceIp, string? version,
        IReadOnlyList<ScannerCapability>? capabilities = null, CancellationToken ct = default)
    {
        var until = 0L;
        lock (_catalog.Mutation)
        {
            if (_catalog.Scanner(scannerId) is not { } scanner) return StoreStatus.NotFound;
            var changed = scanner with
            {
                LastHeartbeatAt = at,
                SourceIp = sourceIp ?? scanner.SourceIp,
                Version = version ?? scanner.Version,
                Capabilities = capabilities ?? scanner.Capabilities,
            };
            var durable = changed.SourceIp != scanner.SourceIp || changed.Version != scanner.Version
                || !SameCapabilities(changed.Capabilities, scanner.Capabilities)
                || !_heartbeatsLogged.TryGetValue(scannerId, out var logged) || (at - logged).Duration() >= _options.HeartbeatPersistInterval;
            if (durable)
            {
                EnsureWritable();
                until = LogCatalogChange(new ScannerPut(changed));
                _heartbeatsLogged[scannerId] = at;
            }
            else
            {
                _catalog.Apply(new ScannerPut(changed));
            }
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return StoreStatus.Ok;
    }

    private static bool SameCapabilities(IReadOnlyList<ScannerCapability>? a, IReadOnlyList<ScannerCapability>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b);

    private async ValueTask<(StoreStatus Status, Scanner? Scanner)> ChangeScannerAsync(long scannerId, Func<Scanner, Scanner> change, CancellationToken ct)
    {
        EnsureWritable();
        Scanner changed;
        long until;
        lock (_catalog.Mutation)
        {
            if (_catalog.Scanner(scannerId) is not { } scanner) return (StoreStatus.NotFound, null);
            changed = change(scanner);
            until = LogCatalogChange(new ScannerPut(changed));
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return (StoreStatus.Ok, changed);
    }

    public string? GetDocument(string collection, string key) => _catalog.Document(collection, key);

    public IReadOnlyList<KeyValuePair<string, string>> ListDocuments(string collection) => [.. _catalog.Documents(collection).OrderBy(d => d.Key, StringComparer.Ordinal)];

    public ValueTask PutDocumentAsync(string collection, string key, string json, CancellationToken ct = default) =>
        CommitCatalogChangeAsync(new DocumentPut(collection, key, json), ct);

    public async ValueTask<bool> DeleteDocumentAsync(string collection, string key, CancellationToken ct = default)
    {
        EnsureWritable();
        long until;
        lock (_catalog.Mutation)
        {
            if (_catalog.Document(collection, key) is null) return false;
            until = LogCatalogChange(new DocumentRemoved(collection, key));
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return true;
    }

    public ValueTask RaiseAlarmAsync(Alarm alarm, CancellationToken ct = default) => CommitCatalogChangeAsync(new AlarmPut(alarm), ct);

    public async ValueTask ClearAlarmAsync(string kind, string subject, CancellationToken ct = default)
    {
        EnsureWritable();
        long until;
        lock (_catalog.Mutation)
        {
            if (!_catalog.Alarms.Any(a => a.Kind == kind && a.Subject == subject)) return;
            until = LogCatalogChange(new AlarmRemoved(kind, subject));
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
    }

    /// <summary>The catalog's alarms, and <see cref="StoreAlarms.Unavailable"/> while the store cannot write (it cannot be logged then, so it is shown from memory).</summary>
    public IReadOnlyList<Alarm> ListAlarms()
    {
        var alarms = _catalog.Alarms.OrderBy(a => a.RaisedAt).ToList();
        if (UnavailableReason is { } reason)
        {
            _unavailableSince ??= _options.Clock.GetUtcNow();
            alarms.Add(new Alarm(StoreAlarms.Unavailable, "store", "The store cannot write: " + reason + ".", _unavailableSince.Value));
        }
        else
        {
            _unavailableSince = null;
        }
        return alarms;
    }

    private async ValueTask CommitCatalogChangeAsync(CatalogChange change, CancellationToken ct)
    {
        EnsureWritable();
        long until;
        lock (_catalog.Mutation) until = LogCatalogChange(change);
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
    }

    /// <summary>Applies a change and appends it to the log; the caller holds the lock that orders the entity's changes.</summary>
    private long LogCatalogChange(CatalogChange change)
    {
        _catalog.Apply(change);
        var entry = WalEntry.Begin();
        entry.AddCatalog(Catalog.Serialize(change));
        return _wal.Append(entry.Bytes);
    }
}
