namespace Outpost.Store.Faster;

/// <summary>Where the embedded store keeps its files and how much memory it may use before FASTER spills to disk.</summary>
public sealed record FasterStoreOptions
{
    public required string DataDirectory { get; init; }

    /// <summary>In-memory part of the job log, as a power of two in bytes (default 2^30 = 1 GiB); older records spill to disk.</summary>
    public int JobMemorySizeBits { get; init; } = 30;

    /// <summary>Hash index size in buckets of 64 bytes (default 2^22 buckets = 256 MiB, comfortable for 10 million jobs).</summary>
    public long JobIndexBuckets { get; init; } = 1L << 22;

    /// <summary>In-memory part of the log that holds job specs and error texts (default 2^28 = 256 MiB).</summary>
    public int BlobMemorySizeBits { get; init; } = 28;

    public long BlobIndexBuckets { get; init; } = 1L << 20;

    /// <summary>How often the background checkpoint runs; it bounds how much write-ahead log recovery replays.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A checkpoint also starts once this much write-ahead log has accumulated since the last one.</summary>
    public long CheckpointWalBytes { get; init; } = 256L << 20;
}
