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
}

/// <summary>
/// <c>portscan</c>: the SYN probe engine over the job's targets at the job's rate; open ports are the findings,
/// progress is addresses probed. Raw packet access is checked per job (a job fails saying what is missing), so a
/// node without CAP_NET_RAW still advertises it and an admin sees why its jobs fail.
/// </summary>
public sealed class PortscanCapability(ProbeScanner engine, PortscanOptions options) : ICapability
{
    public const string JobName = "portscan";

    public string Name => JobName;

    public string Version => ScanAttribution.ProbeVersion;

    public string? Unavailable => null;

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
        foreach (var set in plan)
        {
            var request = new ScanRequest(set)
            {
                ProbesPerSecond = job.MaxProbesPerSecond,
                Interface = options.Interface,
                Wait = options.ReplyWait,
                Exclusions = job.Exclusions,
            };
            observer.BeginSet(set.Ports.Count);
            try
            {
                var summary = await engine.RunAsync(request, observer, stopping).ConfigureAwait(false);
                if (summary.Cancelled)
                {
                    return new CapabilityOutcome(false, null, total);
                }

                observer.EndSet(set.HostCount);
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
    /// finished target sets plus the current one's probes over its ports.
    /// </summary>
    private sealed class Observer(IJobReport report) : IScanObserver
    {
        private long _hostsDone;
        private int _ports = 1;

        public void BeginSet(int ports) => Volatile.Write(ref _ports, Math.Max(1, ports));

        public void EndSet(ulong hosts) => report.Progress(Interlocked.Add(ref _hostsDone, (long)hosts));

        public void OnResult(in ScanResult result)
        {
            if (result.State == PortState.Open)
            {
                report.OpenPort(in result);
            }
        }

        public void OnProgress(in ScanProgress progress) =>
            report.Progress(Interlocked.Read(ref _hostsDone) + (progress.ProbesSent / Volatile.Read(ref _ports)));

        public void OnWarning(string message) => report.Warning(message);
    }
}
