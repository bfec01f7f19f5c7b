using Outpost.Probe.Capture;
using Outpost.Probe.Engine;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;
using Outpost.Probe.Routing;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Capabilities.Portscan;

/// <summary>How the port scan sends: the interface and how long replies are awaited after the last probe.</summary>
public sealed record PortscanOptions
{
    /// <summary>Send on this interface instead of the routed one.</summary>
    public string? Interface { get; init; }

    /// <summary>How long replies are collected after the last probe of a job.</summary>
    public TimeSpan ReplyWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When set, the port scan is advertised only while raw packet access is there (the built-in scanner: without it, it
    /// runs the other capabilities). A node leaves it null: it advertises the port scan and its jobs fail saying why.
    /// </summary>
    public IRawPacketAccess? RawAccess { get; init; }
}

/// <summary>
/// <c>portscan</c>: the SYN probe engine over the job's targets at the job's rate; open ports are the findings,
/// progress is addresses probed. Raw packet access is checked per job (a job fails saying what is missing), so a
/// node without CAP_NET_RAW still advertises it and an admin sees why its jobs fail; with
/// <see cref="PortscanOptions.RawAccess"/> set, it is not advertised while that access is missing.
/// The job's cursor (docs/probe-engine.md) runs over its target sets laid end to end, each walked in the order the
/// job's seed selects; a job handed out again resumes at the cursor its earlier holder reported.
/// </summary>
public sealed class PortscanCapability(ProbeScanner engine, PortscanOptions options) : ICapability
{
    public const string JobName = "portscan";

    public string Name => JobName;

    public string Version => ScanAttribution.ProbeVersion;

    public string? Unavailable => options.RawAccess?.Problem();

    public async Task<CapabilityOutcome> RunAsync(JobAssignment job, IJobReport report, CancellationToken stopping)
    {
        var plan = Plan(job, out var failure);
        if (failure is not null)
        {
            return CapabilityOutcome.Failed(failure);
        }

        var total = 0L;
        foreach (var set in plan)
        {
            total += (long)set.HostCount;
        }

        var observer = new Observer(report);
        var resumeFrom = (ulong)Math.Max(0, job.ResumeFrom);
        foreach (var set in plan)
        {
            var request = new ScanRequest(set)
            {
                ProbesPerSecond = job.MaxProbesPerSecond,
                Interface = options.Interface,
                Wait = options.ReplyWait,
                Seed = (ulong)job.Seed,
                ResumeFrom = Math.Min(resumeFrom, set.Count),
                Exclusions = job.Exclusions,
            };
            resumeFrom -= request.ResumeFrom;
            observer.BeginSet(set.Ports.Count);
            if (request.ResumeFrom == request.Positions)
            {
                // Every probe of this set was sent by an earlier holder of the job.
                observer.EndSet(set.HostCount, request.Positions);
                continue;
            }

            try
            {
                var summary = await engine.RunAsync(request, observer, stopping).ConfigureAwait(false);
                if (summary.Cancelled)
                {
                    return new CapabilityOutcome(false, null, total);
                }

                observer.EndSet(set.HostCount, request.Positions);
            }
            catch (PacketDeviceException ex) when (ex.PermissionDenied)
            {
                return CapabilityOutcome.Failed("pcap: permission denied (needs CAP_NET_RAW): " + ex.Message);
            }
            catch (PacketDeviceException ex)
            {
                return CapabilityOutcome.Failed("pcap: " + ex.Message);
            }
            catch (RouteException ex)
            {
                return CapabilityOutcome.Failed("route: " + ex.Message);
            }
            catch (ArgumentException ex)
            {
                return CapabilityOutcome.Failed("bad job: " + ex.Message);
            }
        }

        return new CapabilityOutcome(true, null, total);
    }

    /// <summary>The job's targets as engine target sets, one per distinct port list (a job normally has one).</summary>
    private static List<TargetSet> Plan(JobAssignment job, out string? failure)
    {
        failure = null;
        var sets = new List<TargetSet>();
        foreach (var group in job.Targets.GroupBy(t => t.Ports, StringComparer.Ordinal))
        {
            if (!TargetSet.TryParse(group.Select(t => t.Cidr), group.Key, out var set, out var error))
            {
                failure = "bad job targets: " + error;
                return [];
            }

            sets.Add(set!);
        }

        if (sets.Count == 0)
        {
            failure = "bad job targets: the job has none";
        }

        return sets;
    }

    /// <summary>
    /// The engine's observer: open ports are reported (closed ones are not findings); progress is addresses probed,
    /// finished target sets plus the current one's probes over its ports; the cursor is the positions of finished
    /// sets plus the current one's.
    /// </summary>
    private sealed class Observer(IJobReport report) : IScanObserver
    {
        private long _hostsDone;
        private long _positionsDone;
        private int _ports = 1;

        public void BeginSet(int ports) => Volatile.Write(ref _ports, Math.Max(1, ports));

        public void EndSet(ulong hosts, ulong positions)
        {
            report.Cursor(Interlocked.Add(ref _positionsDone, (long)positions));
            report.Progress(Interlocked.Add(ref _hostsDone, (long)hosts));
        }

        public void OnResult(in ScanResult result)
        {
            if (result.State == PortState.Open)
            {
                report.OpenPort(in result);
            }
        }

        public void OnProgress(in ScanProgress progress)
        {
            report.Cursor(Interlocked.Read(ref _positionsDone) + progress.Cursor);
            report.Progress(Interlocked.Read(ref _hostsDone) + (progress.Cursor / Volatile.Read(ref _ports)));
        }

        public void OnWarning(string message) => report.Warning(message);
    }
}
