using Outpost.Appliance.Capabilities;
using Outpost.Probe.Targets;
using Outpost.Store.Model;

namespace Outpost.Appliance.Planning;

/// <summary>
/// Turns a scan into jobs at dispatch (now for a manual scan, at its time for a scheduled one).
///
/// Size: a job covers at most <see cref="JobAddresses"/> addresses, so a lost scanner costs little rework and progress
/// moves visibly; pieces are cut at multiples of the job size, so a /16 becomes clean /24 jobs. A huge scan would
/// make a huge number of jobs, so past <see cref="MaxJobs"/> the job size doubles until it fits.
/// Scanners: jobs go round-robin over the scan's scanners and pools, in address order — over those that advertise the
/// scan's capability (a pool: any member does) when any do (docs/capabilities.md); when none do yet, over all of
/// them, and the jobs wait in the queue until a scanner that can run them claims them. A pool's job waits in the
/// pool's queue, which any online member claims from.
/// Rate: each job's <c>maxProbesPerSecond</c> is the slowest of its scanner's limit (a pool's: its slowest member's),
/// every subnet limit that overlaps the job's addresses, the limit of the port list the scan uses, and the scan's own
/// limit; with none of those, the settings' default.
/// Do-not-scan list: the addresses it excludes on every port are cut out of each job's targets for the job's scanner
/// or pool (<see cref="DoNotScan"/>); a job left with no address is not made. Entries with a port stay in the targets and
/// are skipped by the engine, which gets the list with the job.
/// </summary>
public static class ScanPlanner
{
    public const ulong JobAddresses = 256;
    public const int MaxJobs = 4096;
    /// <summary>
    /// Resolves the scan's ports: the name of a port list in the settings, or ports and ranges. Returns the canonical
    /// port text, or null with an error.
    /// </summary>
    public static string? ResolvePorts(string ports, ScanSettings settings, out string? error)
    {
        var text = ports.Trim();
        foreach (var list in settings.PortLists)
        {
            if (string.Equals(list.Name, text, StringComparison.OrdinalIgnoreCase))
            {
                error = null;
                return list.Ports;
            }
        }

        return PortList.TryParse(text, out var parsed, out error) ? parsed!.ToString() : null;
    }

    /// <summary>
    /// Splits a validated scan into jobs. <paramref name="scanners"/> holds the scan's scanners and <paramref name="pools"/>
    /// its pools, in the scan's order; at least one of them is not empty.
    /// </summary>
    public static IReadOnlyList<NewJob> Split(ScanSpec spec, ScanSettings settings, IReadOnlyList<Store.Model.Scanner> scanners,
        IReadOnlyList<ScannerPool> pools)
    {
        if (!TargetSet.TryParse(spec.Targets, spec.Ports, out var set, out var error))
        {
            throw new ArgumentException(error, nameof(spec));
        }

        var jobSize = JobAddresses;
        while ((set!.HostCount + jobSize - 1) / jobSize > MaxJobs)
        {
            jobSize *= 2;
        }

        var subnetLimits = new List<(Ipv4Range Range, int Rate)>(settings.SubnetLimits.Count);
        foreach (var limit in settings.SubnetLimits)
        {
            if (Ipv4Range.TryParse(limit.Cidr, out var range, out _))
            {
                subnetLimits.Add((range, limit.MaxProbesPerSecond));
            }
        }

        // The limits that are the same for every job of the scan.
        var ports = set.Ports.ToString();
        int? scanRate = ProbeRate.Slowest(spec.MaxProbesPerSecond, PortListRate(ports, settings));

        var assignees = new List<Assignee>(scanners.Count + pools.Count);
        assignees.AddRange(scanners.Select(s => new Assignee(s.Id, s.Name, null, s.MaxProbesPerSecond, ScannerCapabilities.CanRun(s, spec.Capability))));
        assignees.AddRange(pools.Select(p => new Assignee(0, null, p.Name, p.Members.Aggregate((int?)null, (rate, s) => ProbeRate.Slowest(rate, s.MaxProbesPerSecond)),
            p.Members.Any(s => ScannerCapabilities.CanRun(s, spec.Capability)))));
        if (assignees.Exists(a => a.CanRun))
        {
            assignees.RemoveAll(a => !a.CanRun);
        }

        var jobs = new List<NewJob>();
        var exclusions = new Dictionary<(long ScannerId, string? Pool), IReadOnlyList<Ipv4Range>>();
        var pieces = new List<Ipv4Range>();
        var turn = 0;
        ulong used = 0;
        foreach (var range in set.Ranges)
        {
            ulong at = range.First;
            while (at <= range.Last)
            {
                var toBoundary = jobSize - (at % jobSize);
                var take = Math.Min(Math.Min((ulong)range.Last - at + 1, jobSize - used), toBoundary);
                pieces.Add(new Ipv4Range((uint)at, (uint)(at + take - 1)));
                used += take;
                at += take;
                if (used == jobSize)
                {
                    Flush();
                }
            }
        }

        if (pieces.Count > 0)
        {
            Flush();
        }

        return jobs;

        void Flush()
        {
            var assignee = assignees[turn++ % assignees.Count];
            var key = (assignee.ScannerId, assignee.Pool);
            if (!exclusions.TryGetValue(key, out var excluded))
            {
                excluded = DoNotScan.SetFor(settings, assignee.ScannerName, assignee.Pool).WholeAddresses;
                exclusions[key] = excluded;
            }

            int? rate = ProbeRate.Slowest(scanRate, assignee.MaxProbesPerSecond);
            var targets = new List<JobTarget>(pieces.Count);
            foreach (var piece in pieces.SelectMany(p => DoNotScan.Without(p, excluded)))
            {
                targets.Add(new JobTarget(piece.ToString(), ports));
                foreach (var (limitRange, limitRate) in subnetLimits)
                {
                    if (piece.First <= limitRange.Last && limitRange.First <= piece.Last)
                    {
                        rate = ProbeRate.Slowest(rate, limitRate);
                    }
                }
            }

            if (targets.Count > 0)
            {
                jobs.Add(new NewJob(assignee.ScannerId, spec.Capability, targets, rate ?? settings.DefaultMaxProbesPerSecond, assignee.Pool));
            }

            pieces.Clear();
            used = 0;
        }
    }

    /// <summary>Who a job goes to: one scanner (<see cref="Pool"/> null), or a pool (<see cref="ScannerId"/> 0).</summary>
    private readonly record struct Assignee(long ScannerId, string? ScannerName, string? Pool, int? MaxProbesPerSecond, bool CanRun);

    private static int? PortListRate(string canonicalPorts, ScanSettings settings)
    {
        int? rate = null;
        foreach (var list in settings.PortLists)
        {
            if (list.Ports == canonicalPorts)
            {
                rate = ProbeRate.Slowest(rate, list.MaxProbesPerSecond);
            }
        }

        return rate;
    }
}
