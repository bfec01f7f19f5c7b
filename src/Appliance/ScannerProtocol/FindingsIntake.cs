using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;
using Outpost.Probe.Targets;
using Outpost.Store.Model;
using Outpost.Store.Records.Findings;

namespace Outpost.Appliance.ScannerProtocol;

/// <summary>What became of an uploaded batch of findings.</summary>
public enum FindingsOutcome
{
    Accepted,
    JobNotFound,
    JobNotOwned,
    JobNotActive,
    /// <summary>A result is outside the job's targets or ports: the whole batch is refused.</summary>
    OutsideJob,
    /// <summary>The batch would take the job past <see cref="FindingsOptions.MaxPerJob"/>: refused whole.</summary>
    CapReached,
}

/// <summary>The outcome, how many findings were new, and for a refusal the reason in plain words.</summary>
public readonly record struct FindingsIntakeResult(FindingsOutcome Outcome, int Added = 0, string? Message = null);

/// <summary>
/// The one way findings enter the records database, for remote scanners (HTTP) and the built-in one alike
/// (docs/results.md): the job must exist, belong to the scanner and be claimed or running; every result must lie
/// inside the job's own targets and ports; and the job may not pass its cap. A refused batch stores nothing. The
/// job check reads the job store, then the append commits in the records database; a job that finishes in between
/// still gets the batch it was sent while running.
/// </summary>
public sealed class FindingsIntake(StoreLifetime stores, IOptions<OutpostOptions> options)
{
    private readonly long _maxPerJob = options.Value.Findings.MaxPerJob;

    public async Task<FindingsIntakeResult> AppendAsync(long scannerId, long jobId, IReadOnlyList<Finding> batch, DateTimeOffset now, CancellationToken ct = default)
    {
        if (stores.Store.GetJob(jobId) is not { } job) return new(FindingsOutcome.JobNotFound);
        if (job.ScannerId != scannerId) return new(FindingsOutcome.JobNotOwned);
        if (job.Status is not (JobStatus.Claimed or JobStatus.Running)) return new(FindingsOutcome.JobNotActive);
        if (batch.Count == 0) return new(FindingsOutcome.Accepted);
        if (Outside(job, batch) is { } refusal) return new(FindingsOutcome.OutsideJob, Message: refusal);

        var appended = await new FindingsTable(stores.Records).AppendAsync(job.ScanId, jobId, batch, now, _maxPerJob, ct);
        return appended.OverCap
            ? new(FindingsOutcome.CapReached, Message: $"Job {jobId} already has {appended.JobTotal} findings; this batch would take it past the cap of {_maxPerJob} (Outpost:Findings:MaxPerJob).")
            : new(FindingsOutcome.Accepted, appended.Added);
    }

    /// <summary>The first result outside the job's targets and ports, described; null when all are inside.</summary>
    private static string? Outside(Job job, IReadOnlyList<Finding> batch)
    {
        var blocks = new List<(Ipv4Range Range, PortList Ports)>(job.Targets.Count);
        foreach (var target in job.Targets)
        {
            // Targets were checked when the scan was created, so a block that no longer parses admits nothing.
            if (Ipv4Range.TryParse(target.Cidr, out var range, out _) && PortList.TryParse(target.Ports, out var ports, out _)) blocks.Add((range, ports!));
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var f = batch[i];
            if (!Ipv4Range.TryParseAddress(f.Ip, out var address) || !Inside(blocks, address, f.Port))
            {
                return $"results[{i}] ({f.Ip}:{f.Port}) is outside job {job.JobId}'s targets and ports; the batch was not stored.";
            }
        }

        return null;
    }

    private static bool Inside(List<(Ipv4Range Range, PortList Ports)> blocks, uint address, int port)
    {
        foreach (var (range, ports) in blocks)
        {
            if (range.Contains(address) && port is > 0 and <= ushort.MaxValue && ports.Contains((ushort)port)) return true;
        }

        return false;
    }
}
