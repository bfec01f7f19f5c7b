using System.Collections.Concurrent;
using System.Text.Json;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

/// <summary>
/// The store's small, long-lived entities — scanners, scans, documents and alarms — held in memory,
/// made durable by the write-ahead log and written whole at each checkpoint. Jobs, which are many, live in
/// FASTER instead. Changes to one entity are logged while holding that entity's lock, so the log's order is
/// the order they were applied in; reads take no lock.
/// </summary>
internal sealed class Catalog
{
    private readonly Lock _mutation = new();
    private readonly ConcurrentDictionary<long, Scanner> _scanners = new();
    private readonly ConcurrentDictionary<KeyHash, long> _scannerByKey = new();
    private readonly ConcurrentDictionary<long, ScanEntry> _scans = new();
    private readonly ConcurrentDictionary<(string Collection, string Key), string> _documents = new();
    private readonly ConcurrentDictionary<(string Kind, string Subject), Alarm> _alarms = new();
    private long _lastScannerId;
    private long _lastScanId;
    private long _jobIdHighWater;

    public Lock Mutation => _mutation;

    /// <summary>True once replay met a findings change of the version before the records database (they wait to be moved there).</summary>
    public bool ReplayedRetiredFindings { get; private set; }

    public long NextScannerId() => Interlocked.Increment(ref _lastScannerId);

    public long NextScanId() => Interlocked.Increment(ref _lastScanId);

    /// <summary>Reserves <paramref name="count"/> consecutive job ids; callers hold <see cref="Mutation"/>.</summary>
    public JobIdRange ReserveJobIds(int count)
    {
        var first = _jobIdHighWater + 1;
        _jobIdHighWater += count;
        return new JobIdRange(first, _jobIdHighWater);
    }

    public long JobIdHighWater => Volatile.Read(ref _jobIdHighWater);

    public Scanner? Scanner(long id) => _scanners.GetValueOrDefault(id);

    public Scanner? ScannerByKey(ReadOnlySpan<byte> hash) =>
        hash.Length == 32 && _scannerByKey.TryGetValue(KeyHash.From(hash), out var id) ? _scanners.GetValueOrDefault(id) : null;

    public IEnumerable<Scanner> Scanners => _scanners.Values;

    public ScanEntry? Scan(long id) => _scans.GetValueOrDefault(id);

    public IEnumerable<ScanEntry> Scans => _scans.Values;

    public string? Document(string collection, string key) => _documents.GetValueOrDefault((collection, key));

    public IEnumerable<KeyValuePair<string, string>> Documents(string collection) =>
        _documents.Where(d => d.Key.Collection == collection).Select(d => KeyValuePair.Create(d.Key.Key, d.Value));

    public IEnumerable<Alarm> Alarms => _alarms.Values;

    /// <summary>Applies a change to memory: the same code serves live changes and recovery's replay.</summary>
    public void Apply(CatalogChange change)
    {
        switch (change)
        {
            case ScannerPut put:
                // Readers look scanners up by key hash without a lock: the mapping is never briefly absent. The
                // new key is mapped before the old one is dropped, and only a rotation touches the mapping at all.
                var newKey = KeyHash.From(put.Scanner.ApiKeyHash);
                var previous = _scanners.GetValueOrDefault(put.Scanner.Id);
                _scanners[put.Scanner.Id] = put.Scanner;
                _scannerByKey[newKey] = put.Scanner.Id;
                if (previous is not null && KeyHash.From(previous.ApiKeyHash) is var oldKey && oldKey != newKey)
                    _scannerByKey.TryRemove(KeyValuePair.Create(oldKey, put.Scanner.Id));
                InterlockedMax(ref _lastScannerId, put.Scanner.Id);
                break;
            case ScanPut put:
                ApplyScan(put.Scan);
                break;
            case ScanRemoved removed:
                _scans.TryRemove(removed.ScanId, out _);
                break;
            case DocumentPut put:
                _documents[(put.Collection, put.Key)] = put.Json;
                break;
            case DocumentRemoved removed:
                _documents.TryRemove((removed.Collection, removed.Key), out _);
                break;
            case AlarmPut put:
                _alarms[(put.Alarm.Kind, put.Alarm.Subject)] = put.Alarm;
                break;
            case AlarmRemoved removed:
                _alarms.TryRemove((removed.Kind, removed.Subject), out _);
                break;
            case RetiredFindingsAdded:
                ReplayedRetiredFindings = true;
                break;
        }
    }

    public ScanEntry ApplyScan(ScanState state)
    {
        var entry = _scans.GetOrAdd(state.Id, _ => new ScanEntry(state.Id, state.Spec, state.Status, state.CreatedAt));
        entry.Set(state.Status);
        entry.StartedAt = state.StartedAt;
        entry.FinishedAt = state.FinishedAt;
        entry.SetJobRanges(state.JobRanges);
        foreach (var range in state.JobRanges) InterlockedMax(ref _jobIdHighWater, range.Last);
        InterlockedMax(ref _lastScanId, state.Id);
        return entry;
    }

    /// <summary>Replays a roll-up logged with a job's completion.</summary>
    public void ApplyScanStatus(long scanId, ScanStatus status, long atTicks)
    {
        if (!_scans.TryGetValue(scanId, out var scan)) return;
        scan.Set(status);
        if (status.IsFinished()) scan.FinishedAt = atTicks;
    }

    public CatalogSnapshot Snapshot()
    {
        lock (_mutation)
        {
            var scanStates = new List<ScanState>();
            foreach (var scan in _scans.Values) scanStates.Add(scan.ToState());
            return new CatalogSnapshot([.. _scanners.Values], scanStates,
                [.. _documents.Select(d => new DocumentPut(d.Key.Collection, d.Key.Key, d.Value))], [.. _alarms.Values], _jobIdHighWater);
        }
    }

    public void Load(CatalogSnapshot snapshot)
    {
        foreach (var scanner in snapshot.Scanners) Apply(new ScannerPut(scanner));
        foreach (var scan in snapshot.Scans) ApplyScan(scan);
        foreach (var document in snapshot.Documents) Apply(document);
        foreach (var alarm in snapshot.Alarms) Apply(new AlarmPut(alarm));
        InterlockedMax(ref _jobIdHighWater, snapshot.JobIdHighWater);
    }

    public static byte[] Serialize(CatalogChange change) => JsonSerializer.SerializeToUtf8Bytes(change, StoreJson.Default.CatalogChange);

    public static CatalogChange Deserialize(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, StoreJson.Default.CatalogChange) ?? throw new InvalidDataException("empty catalog change");

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }

    /// <summary>A 32-byte SHA-256 key hash as a dictionary key without allocating.</summary>
    private readonly record struct KeyHash(ulong A, ulong B, ulong C, ulong D)
    {
        public static KeyHash From(ReadOnlySpan<byte> hash) => hash.Length != 32 ? default : new(
            BitConverter.ToUInt64(hash), BitConverter.ToUInt64(hash[8..]), BitConverter.ToUInt64(hash[16..]), BitConverter.ToUInt64(hash[24..]));
    }
}
