using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

/// <summary>Kinds of the parts a write-ahead log entry is made of. Persisted: append only.</summary>
internal enum WalPart : byte
{
    /// <summary>A job's whole record after a change (a redo image: replay is an upsert).</summary>
    JobImage = 1,
    /// <summary>A job's variable-length data: its spec or its error text.</summary>
    JobBlob = 2,
    /// <summary>A change to the catalog (scanners, scans, documents, alarms), as JSON.</summary>
    Catalog = 3,
    /// <summary>A scan's status rolled up by the completion of its last job, in that completion's entry.</summary>
    ScanStatus = 4,
    /// <summary>Jobs removed by retention.</summary>
    JobsRemoved = 5,
}

internal enum BlobKind : byte
{
    Spec = 1,
    Error = 2,
    /// <summary>The job's targets as numeric address ranges (<see cref="Queries.AddressRanges"/>), for search by address.</summary>
    Ranges = 3,
}

/// <summary>
/// Builds one write-ahead log entry: a sequence of parts, each <c>kind:u8 length:i32 payload</c>. An entry is the
/// unit of atomicity: FasterLog commits it whole or not at all, so everything one acknowledgment depends on
/// (a job's completion and its scan's roll-up, say) goes into one entry.
/// Hot path: uses a per-thread buffer, allocates nothing once warm.
/// </summary>
internal ref struct WalEntry
{
    [ThreadStatic] private static byte[]? _threadBuffer;
    private byte[] _buffer;
    private int _length;

    public static WalEntry Begin()
    {
        var entry = new WalEntry { _buffer = _threadBuffer ??= new byte[64 * 1024] };
        return entry;
    }

    public readonly ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

    public readonly int Length => _length;

    /// <summary>What a new job adds to an entry: its spec and ranges blobs and its image, each with its part header.</summary>
    public static int JobPartsBytes(int specLength, int rangesLength) => 5 + 9 + specLength + 5 + 9 + rangesLength + 5 + JobRecord.Size;

    public void AddJobImage(in JobRecord record)
    {
        var payload = Reserve(WalPart.JobImage, JobRecord.Size);
        MemoryMarshal.Write(payload, in record);
    }

    public void AddJobBlob(long jobId, BlobKind kind, ReadOnlySpan<byte> data)
    {
        var payload = Reserve(WalPart.JobBlob, 9 + data.Length);
        BinaryPrimitives.WriteInt64LittleEndian(payload, jobId);
        payload[8] = (byte)kind;
        data.CopyTo(payload[9..]);
    }

    /// <summary>A text blob, UTF-8 encoded straight into the entry.</summary>
    public void AddJobText(long jobId, BlobKind kind, string text)
    {
        var payload = Reserve(WalPart.JobBlob, 9 + System.Text.Encoding.UTF8.GetByteCount(text));
        BinaryPrimitives.WriteInt64LittleEndian(payload, jobId);
        payload[8] = (byte)kind;
        System.Text.Encoding.UTF8.GetBytes(text, payload[9..]);
    }

    public void AddCatalog(ReadOnlySpan<byte> json) => json.CopyTo(Reserve(WalPart.Catalog, json.Length));

    public void AddScanStatus(long scanId, ScanStatus status, long atTicks)
    {
        var payload = Reserve(WalPart.ScanStatus, 17);
        BinaryPrimitives.WriteInt64LittleEndian(payload, scanId);
        payload[8] = (byte)status;
        BinaryPrimitives.WriteInt64LittleEndian(payload[9..], atTicks);
    }

    public void AddJobsRemoved(ReadOnlySpan<long> jobIds)
    {
        var payload = Reserve(WalPart.JobsRemoved, jobIds.Length * 8);
        MemoryMarshal.AsBytes(jobIds).CopyTo(payload);
    }

    private Span<byte> Reserve(WalPart part, int payloadLength)
    {
        var needed = _length + 5 + payloadLength;
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
            _threadBuffer = _buffer;
        }
        _buffer[_length] = (byte)part;
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length + 1), payloadLength);
        var payload = _buffer.AsSpan(_length + 5, payloadLength);
        _length = needed;
        return payload;
    }
}

/// <summary>Reads the parts of one entry back, for recovery.</summary>
internal ref struct WalEntryReader(ReadOnlySpan<byte> entry)
{
    private ReadOnlySpan<byte> _rest = entry;

    public bool Next(out WalPart part, out ReadOnlySpan<byte> payload)
    {
        if (_rest.Length < 5)
        {
            part = default;
            payload = default;
            return false;
        }
        part = (WalPart)_rest[0];
        var length = BinaryPrimitives.ReadInt32LittleEndian(_rest[1..]);
        payload = _rest.Slice(5, length);
        _rest = _rest[(5 + length)..];
        return true;
    }
}
