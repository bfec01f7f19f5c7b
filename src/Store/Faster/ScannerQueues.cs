using System.Collections.Concurrent;
using Outpost.Store.Lifecycle;

namespace Outpost.Store.Faster;

/// <summary>
/// Per-scanner and per-pool, in-memory views of the job log (rebuilt on recovery): the ids of queued jobs in claim
/// order, so a claim never walks claimed rows, and (per scanner) the ids of claimed and running jobs, for stop
/// requests and re-queueing. Queues are lock-free; an id whose job was meanwhile cancelled is simply refused by the
/// claim RMW and dropped. A pool's queue is shared by its members: the claim RMW decides which of them gets each job.
/// </summary>
internal sealed class ScannerQueues
{
    private readonly ConcurrentDictionary<long, ScannerQueue> _queues = new();
    private readonly ConcurrentDictionary<string, ScannerQueue> _pools = new(StringComparer.Ordinal);

    public ScannerQueue For(long scannerId) => _queues.GetOrAdd(scannerId, static _ => new ScannerQueue());

    /// <summary>Every scanner's queues (a window's end pauses the automated jobs of all of them).</summary>
    public IEnumerable<ScannerQueue> All => _queues.Values;

    /// <summary>The queues of a pool's jobs (their <see cref="ScannerQueue.Active"/> stays empty: a claimed job is its holder's).</summary>
    public ScannerQueue ForPool(string pool) => _pools.GetOrAdd(pool, static _ => new ScannerQueue());
}

/// <summary>
/// One scanner's queues: a manual and an automated queue per capability (job name), so a claim takes only jobs the
/// scanner can run without looking at the others (docs/capabilities.md). HOT PATH: <see cref="TryDequeue"/> runs
/// inside every claim; it reads an array snapshot and allocates nothing.
/// </summary>
internal sealed class ScannerQueue
{
    private readonly object _grow = new();
    // Copy-on-write: a capability is added once per scanner and name, claims read whichever array is current.
    private volatile CapabilityQueues[] _byName = [];

    public ConcurrentDictionary<long, byte> Active { get; } = new();

    /// <summary>The queue a job of <paramref name="jobName"/> waits in.</summary>
    public ClaimQueue For(string jobName, bool automated)
    {
        var queues = Named(jobName);
        return automated ? queues.Automated : queues.Manual;
    }

    public ClaimQueue For(in JobRecord job, string jobName) => For(jobName, job.Has(JobFlags.Automated));

    /// <summary>
    /// The next candidate: manual jobs of any allowed name first, then (when allowed) automated ones; oldest first
    /// within a name. <paramref name="jobNames"/> null allows every name.
    /// </summary>
    public bool TryDequeue(IReadOnlyList<string>? jobNames, bool automatedAllowed, out long jobId)
    {
        var all = _byName;
        foreach (var queues in all)
        {
            if (Allowed(jobNames, queues.Name) && queues.Manual.TryDequeue(out jobId)) return true;
        }
        if (automatedAllowed)
        {
            foreach (var queues in all)
            {
                if (Allowed(jobNames, queues.Name) && queues.Automated.TryDequeue(out jobId)) return true;
            }
        }
        jobId = 0;
        return false;
    }

    private static bool Allowed(IReadOnlyList<string>? jobNames, string name)
    {
        if (jobNames is null) return true;
        for (var i = 0; i < jobNames.Count; i++)
        {
            if (string.Equals(jobNames[i], name, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private CapabilityQueues Named(string jobName)
    {
        foreach (var queues in _byName)
        {
            if (queues.Name == jobName) return queues;
        }
        lock (_grow)
        {
            foreach (var queues in _byName)
            {
                if (queues.Name == jobName) return queues;
            }
            var added = new CapabilityQueues(jobName);
            _byName = [.. _byName, added];
            return added;
        }
    }
}

/// <summary>The claim queues of one capability of one scanner.</summary>
internal sealed class CapabilityQueues(string name)
{
    public string Name { get; } = name;
    /// <summary>Jobs of manual scans; they are handed out whatever the scan windows and pause say.</summary>
    public ClaimQueue Manual { get; } = new();
    /// <summary>Jobs of scheduled and recurring scans; they wait while automated dispatch is not allowed.</summary>
    public ClaimQueue Automated { get; } = new();
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
