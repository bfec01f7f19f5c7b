using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;
using Outpost.Store;
using Outpost.Store.Model;

namespace Outpost.Appliance.ScannerProtocol;

/// <summary>
/// Heartbeat reconciliation (docs/lifecycle.md, "Leases that heal"): what a scanner says it runs against what the
/// store says it holds, both ways. A listed job it does not hold (re-queued, finished) is to be stopped; a held job
/// it has not listed for the lease grace — its claim reply or its run was lost while the scanner kept beating — goes
/// back to the queue through the store's one re-queue, with one more attempt. Linear in both lists (hash sets).
///
/// When a job went missing is kept in memory, per scanner: after a restart, or on another ingest node, the grace
/// starts again from the first heartbeat that does not list the job, so a lease heals late rather than early.
/// </summary>
public sealed partial class LeaseReconciler(IOptions<OutpostOptions> options, TimeProvider clock, ILogger<LeaseReconciler> logger)
{
    private readonly ScannerTimeouts _timeouts = options.Value.Scanners;
    private readonly ConcurrentDictionary<long, Dictionary<long, DateTimeOffset>> _missingSince = new();

    /// <summary>
    /// Reconciles one heartbeat of <paramref name="scanner"/>; <paramref name="running"/> null (the scanner said
    /// nothing about its jobs) leaves its leases alone. Returns the jobs the scanner must stop.
    /// </summary>
    public async ValueTask<List<long>> ReconcileAsync(IOutpostStore store, Store.Model.Scanner scanner, IReadOnlyList<long>? running)
    {
        var now = clock.GetUtcNow();
        var active = store.ListActiveJobs(scanner.Id);
        var stop = new List<long>();
        var held = new HashSet<long>(active.Count);
        foreach (var job in active)
        {
            held.Add(job.JobId);
            if (job.StopRequested)
            {
                stop.Add(job.JobId);
            }
        }

        if (running is null)
        {
            return stop;
        }

        var listed = new HashSet<long>(running);
        foreach (var jobId in listed)
        {
            if (!held.Contains(jobId))
            {
                stop.Add(jobId);
            }
        }

        var lost = LostLeases(scanner.Id, active, listed, now);
        if (lost is not null)
        {
            var result = await store.RequeueAsync(scanner.Id, lost, RequeueCause.LeaseLost, _timeouts.MaxAttempts, now);
            LogHealed(logger, scanner.Id, scanner.Name, lost.Count, result.Requeued, result.FailedOverAttempts, _timeouts.LeaseGrace.TotalSeconds);
        }

        return stop;
    }

    /// <summary>Held jobs missing from the heartbeat for the lease grace; also forgets jobs listed again or no longer held.</summary>
    private List<long>? LostLeases(long scannerId, IReadOnlyList<Job> active, HashSet<long> listed, DateTimeOffset now)
    {
        var missing = _missingSince.GetOrAdd(scannerId, static _ => []);
        List<long>? lost = null;
        lock (missing)
        {
            var stillMissing = new HashSet<long>();
            foreach (var job in active)
            {
                if (listed.Contains(job.JobId))
                {
                    continue;
                }

                stillMissing.Add(job.JobId);
                if (!missing.TryGetValue(job.JobId, out var since))
                {
                    missing[job.JobId] = now;
                }
                else if (now - since >= _timeouts.LeaseGrace)
                {
                    (lost ??= []).Add(job.JobId);
                    missing.Remove(job.JobId);
                }
            }

            // Removing while enumerating a Dictionary is allowed (since .NET Core 3.0).
            foreach (var jobId in missing.Keys)
            {
                if (!stillMissing.Contains(jobId))
                {
                    missing.Remove(jobId);
                }
            }
        }

        return lost;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Scanner {ScannerId} ({Name}) stopped reporting {Lost} jobs for {GraceSeconds} s: {Requeued} re-queued, {Failed} failed after too many attempts")]
    private static partial void LogHealed(ILogger logger, long scannerId, string name, int lost, int requeued, int failed, double graceSeconds);
}
