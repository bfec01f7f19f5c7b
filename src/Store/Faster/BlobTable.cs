using System.Buffers.Binary;
using FASTER.core;
using BlobSession = FASTER.core.ClientSession<FASTER.core.SpanByte, FASTER.core.SpanByte, FASTER.core.SpanByte, byte[], FASTER.core.Empty, FASTER.core.SpanByteFunctions_ByteArrayOutput<FASTER.core.Empty>>;

namespace Outpost.Store.Faster;

/// <summary>
/// The variable-length part of each job — its spec (name, targets) and its error text — in a FasterKV of
/// SpanBytes keyed by (job id, kind). Written once per job (or once per failure), read when a job is handed out
/// or shown; records beyond the configured memory spill to the log device.
/// </summary>
internal sealed class BlobTable : IGrowableIndex, IDisposable
{
    private readonly IDevice _device;
    private readonly FasterKV<SpanByte, SpanByte> _kv;
    private readonly SessionPool<BlobSession> _sessions;

    public BlobTable(string directory, FasterStoreOptions options)
    {
        _device = FasterKvTables.Device(directory, "blobs");
        _kv = new FasterKV<SpanByte, SpanByte>(FasterKvTables.Settings<SpanByte, SpanByte>(options, "blobs", _device, options.BlobMemorySizeBits, options.BlobIndexBuckets));
        var functions = new SpanByteFunctions_ByteArrayOutput<Empty>();
        _sessions = new SessionPool<BlobSession>(() => _kv.For(functions).NewSession<SpanByteFunctions_ByteArrayOutput<Empty>>());
    }

    public void Put(long jobId, BlobKind kind, ReadOnlySpan<byte> data)
    {
        Span<byte> key = stackalloc byte[9];
        WriteKey(key, jobId, kind);
        var session = _sessions.Rent();
        try
        {
            session.Upsert(key, data);
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    public byte[]? Get(long jobId, BlobKind kind)
    {
        Span<byte> keyBytes = stackalloc byte[9];
        WriteKey(keyBytes, jobId, kind);
        var session = _sessions.Rent();
        try
        {
            var key = SpanByte.FromFixedSpan(keyBytes);
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
        Span<byte> keyBytes = stackalloc byte[9];
        WriteKey(keyBytes, jobId, kind);
        var session = _sessions.Rent();
        try
        {
            var key = SpanByte.FromFixedSpan(keyBytes);
            session.Delete(ref key);
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    public ValueTask CheckpointAsync(bool withIndex, CancellationToken ct) => FasterKvTables.CheckpointAsync(_kv, withIndex, "blob", ct);

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

    private static void WriteKey(Span<byte> key, long jobId, BlobKind kind)
    {
        BinaryPrimitives.WriteInt64LittleEndian(key, jobId);
        key[8] = (byte)kind;
    }

    public void Dispose()
    {
        _sessions.Dispose();
        _kv.Dispose();
        _device.Dispose();
    }
}
