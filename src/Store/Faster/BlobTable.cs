using FASTER.core;
using BlobSession = FASTER.core.ClientSession<Outpost.Store.Faster.BlobKey, FASTER.core.SpanByte, FASTER.core.SpanByte, byte[], FASTER.core.Empty, Outpost.Store.Faster.BlobFunctions>;

namespace Outpost.Store.Faster;

/// <summary>
/// The variable-length part of each job — its spec (name, targets) and its error text — in a FasterKV of
/// SpanBytes keyed by (job id, kind) (<see cref="BlobKey"/>). Written once per job (or once per failure), read when
/// a job is handed out or shown; records beyond the configured memory spill to the log device.
/// </summary>
internal sealed class BlobTable : IGrowableIndex, IDisposable
{
    private readonly IDevice _device;
    private readonly FasterKV<BlobKey, SpanByte> _kv;
    private readonly SessionPool<BlobSession> _sessions;

    public BlobTable(string directory, FasterStoreOptions options)
    {
        _device = FasterKvTables.Device(directory, "blobs");
        var settings = FasterKvTables.Settings<BlobKey, SpanByte>(options, "blobs", _device, options.BlobMemorySizeBits, options.BlobIndexBuckets);
        settings.EqualityComparer = BlobKey.Comparer.Instance;
        _kv = new FasterKV<BlobKey, SpanByte>(settings);
        var functions = new BlobFunctions();
        _sessions = new SessionPool<BlobSession>(() => _kv.For(functions).NewSession<BlobFunctions>());
    }

    public unsafe void Put(long jobId, BlobKind kind, ReadOnlySpan<byte> data)
    {
        var key = new BlobKey(jobId, kind);
        var session = _sessions.Rent();
        try
        {
            fixed (byte* bytes = data)
            {
                var value = SpanByte.FromPointer(bytes, data.Length);
                session.Upsert(ref key, ref value);
            }
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    public byte[]? Get(long jobId, BlobKind kind)
    {
        var key = new BlobKey(jobId, kind);
        var session = _sessions.Rent();
        try
        {
            var input = default(SpanByte);
            byte[] output = null!;
            var status = session.Read(ref key, ref input, ref output);
            if (status.IsPending)
            {
                session.CompletePendingWithOutputs(out var completed, wait: true);
                using (completed)
                {
                    if (!completed.Next()) return null;
                    status = completed.Current.Status;
                    output = completed.Current.Output;
                }
            }
            return status.Found ? output : null;
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    public void Delete(long jobId, BlobKind kind)
    {
        var key = new BlobKey(jobId, kind);
        var session = _sessions.Rent();
        try
        {
            session.Delete(ref key);
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    public ValueTask CheckpointAsync(bool withIndex) => FasterKvTables.CheckpointAsync(_kv, withIndex, "blob");

    /// <summary>Restores the latest checkpoint (the store has one: see <see cref="FasterOutpostStore"/>).</summary>
    public void Recover(string directory) => FasterKvTables.Recover(_kv, directory, "blobs");

    public long LogBegin => _kv.Log.BeginAddress;

    public long LogTail => _kv.Log.TailAddress;

    public long IndexBuckets => _kv.IndexSize;

    public void GrowIndex() => FasterKvTables.GrowIndex(_kv, "blob");

    /// <summary>Copies the live records of the read-only part of the log forward; the next checkpoint drops the files before them.</summary>
    public long Compact()
    {
        var session = _sessions.Rent();
        try
        {
            return FasterKvTables.Compact(_kv, session);
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    public void Dispose()
    {
        _sessions.Dispose();
        _kv.Dispose();
        _device.Dispose();
    }
}
