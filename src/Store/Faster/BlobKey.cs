using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FASTER.core;

namespace Outpost.Store.Faster;

/// <summary>
/// The key of a blob: a job id and a kind. Its bytes are those of the 9-byte serialized SpanByte key the blob log
/// held before (a 4-byte length, the id, the kind, padding to 16) and it hashes the same 9 bytes, so logs and index
/// checkpoints written then read unchanged.
/// </summary>
/// <remarks>
/// The key has a fixed size on purpose. When an insert loses the race for its hash-chain slot, FASTER 2.6.5 marks the
/// record it appended invalid and writes the allocation's size over the key's first 4 bytes. For a variable-length key
/// those bytes are its length, so every later walk of the log (compaction, recovery) took a wrong size for that record
/// and misread the records after it: compaction skipped live blobs or crashed (the 50 M soak; docs/performance.md, fourth round).
/// With a fixed-size key a record's size never depends on those bytes.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 4, Size = 16)]
internal readonly struct BlobKey(long jobId, BlobKind kind)
{
    private const int PayloadLength = sizeof(long) + sizeof(BlobKind);

    // Never read: it keeps the length prefix of the serialized key the log held before, so the bytes stay the same.
    private readonly int _payloadLength = PayloadLength;
    public readonly long JobId = jobId;
    public readonly BlobKind Kind = kind;

    /// <summary>Equality by id and kind; the hash of the 9 payload bytes, as FASTER's SpanByte comparer hashed them.</summary>
    public sealed unsafe class Comparer : IFasterEqualityComparer<BlobKey>
    {
        public static readonly Comparer Instance = new();

        public bool Equals(ref BlobKey k1, ref BlobKey k2) => k1.JobId == k2.JobId && k1.Kind == k2.Kind;

        public long GetHashCode64(ref BlobKey key) => Utility.HashBytes((byte*)Unsafe.AsPointer(ref key) + sizeof(int), PayloadLength);
    }
}
