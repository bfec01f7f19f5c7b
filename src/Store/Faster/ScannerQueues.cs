using System.Collections.Concurrent;
using Outpost.Store.Lifecycle;

namespace Outpost.Store.Faster;

/// <summary>
/// Per-scanner, in-memory views of the job log (rebuilt on recovery): the ids of queued jobs in claim order, so a
/// claim never walks claimed rows, and the ids of claimed and running jobs, for stop requests and lease expiry.
/// Queues are lock-free; an id whose job was meanwhile cancelled is simply refused by the claim RMW and dropped.
/// </summary>
internal sealed class ScannerQueues
{
    private readonly ConcurrentDictionary<long, ScannerQueue> _queues = new();

    public ScannerQueue For(long scannerId) => _queues.GetOrAdd(scannerId, static _ => new ScannerQueue());
}

internal sealed class ScannerQueue
{
    /// <summary>Jobs of manual scans; they are handed out whatever the scan windows and pause say.</summary>
    public ClaimQueue Manual { get; } = new();
    /// <summary>Jobs of scheduled and recurring scans; they wait while automated dispatch is not allowed.</summary>
    public ClaimQueue Automated { get; } = new();
    public ConcurrentDictionary<long, byte> Active { get; } = new();

    public ClaimQueue For(in JobRecord job) => job.Has(JobFlags.Automated) ? Automated : Manual;
}

/// <summary>Candidate job ids in claim order.</summary>
internal sealed class ClaimQueue
{
    /// <summary>Jobs put back after a lease expiry: older than anything in <see cref="Fresh"/>, so claimed first.</summary>
    public ConcurrentQueue<long> Retry { get; } = new();
    /// <summary>Newly dispatched jobs, in id (creation) order.</summary>
    public ConcurrentQueue<long> Fresh { get; } = new();

    public bool TryDequeue(out long jobId) => Retry.TryDequeue(out jobId) || Fresh.TryDequeue(out jobId);
}
