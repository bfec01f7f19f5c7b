namespace Outpost.Store.Faster;

/// <summary>
/// Where the embedded store keeps its files and how much memory and disk it may use. The defaults fit a small
/// appliance; the hash indexes grow with the live jobs by themselves, and docs/store-operations.md ("Sizing") says
/// how to size the rest for more.
/// </summary>
public sealed record FasterStoreOptions
{
    public required string DataDirectory { get; init; }

    /// <summary>In-memory part of the job log, as a power of two in bytes (default 2^28 = 256 MiB, about 1.9 M job records); older records spill to disk.</summary>
    public int JobMemorySizeBits { get; init; } = 28;

    /// <summary>
    /// Hash index of the job table in 64-byte buckets: the size a new store starts with, and the least an existing
    /// store's index is grown to when it opens (default 2^16 = 4 MiB). The index doubles by itself as live jobs
    /// accumulate and never shrinks; an existing store keeps the size its checkpoint has (see <see cref="IndexSizing"/>).
    /// </summary>
    public long JobIndexBuckets { get; init; } = 1L << 16;

    /// <summary>In-memory part of the log that holds job specs and error texts (default 2^26 = 64 MiB).</summary>
    public int BlobMemorySizeBits { get; init; } = 26;

    /// <summary>
    /// Hash index of the blob table in 64-byte buckets, like <see cref="JobIndexBuckets"/> (default 2^17 = 8 MiB). A job
    /// has two blobs, its spec and its address ranges, and the blob index grows at twice the job index's load
    /// (<see cref="IndexSizing.BlobGrowthLoad"/>), so it first grows at about a million jobs, the job index at half that.
    /// </summary>
    public long BlobIndexBuckets { get; init; } = 1L << 17;

    /// <summary>Size of one file of the job and blob logs as a power of two (default 2^27 = 128 MiB): compaction frees disk a whole file at a time.</summary>
    public int LogSegmentSizeBits { get; init; } = 27;

    /// <summary>Size of one file of the write-ahead log (default 2^26 = 64 MiB): files before the last checkpoint are deleted whole.</summary>
    public int WalSegmentSizeBits { get; init; } = 26;

    /// <summary>How often the background checkpoint runs when something durable changed; it bounds how much write-ahead log recovery replays.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A checkpoint also starts once this much write-ahead log has accumulated since the last one.</summary>
    public long CheckpointWalBytes { get; init; } = 256L << 20;

    /// <summary>
    /// A table's log is compacted (live records copied forward, older files dropped) once it has grown by this much
    /// and doubled since its last compaction (default 256 MiB).
    /// </summary>
    public long CompactionMinBytes { get; init; } = 256L << 20;

    /// <summary>
    /// Heartbeats are kept in memory; the last-seen time is written to disk at most this often per scanner (default 5
    /// minutes, below the re-assign timeout), or at once when the scanner's address or version changes.
    /// </summary>
    public TimeSpan HeartbeatPersistInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an operation waits for its change to reach the disk before answering "store unavailable".</summary>
    public TimeSpan CommitTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Changes are refused (503) while the data directory's file system has less free space than this (default 128 MiB).</summary>
    public long MinFreeBytes { get; init; } = 128L << 20;

    /// <summary>The clock of the checkpointer's schedule (tests compress time with their own).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
