using System.Net;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Capabilities;

/// <summary>
/// The (address, port) pairs of a job for the capabilities that visit services one by one (fingerprint, screenshot,
/// crawler): every address of every target block with every port of that block, in address then port order.
/// </summary>
public static class JobEndpoints
{
    /// <summary>A job of a connection-based capability lists at most this many endpoints (a /24 times 256 ports).</summary>
    public const int MaxEndpoints = 65_536;

    /// <summary>The job's endpoints, or null with the reason the job cannot run.</summary>
    public static IReadOnlyList<IPEndPoint>? Expand(JobAssignment job, out string? failure)
    {
        ArgumentNullException.ThrowIfNull(job);
        var endpoints = new List<IPEndPoint>();
        foreach (var target in job.Targets)
        {
            if (!TargetSet.TryParse([target.Cidr], target.Ports, out var set, out var error))
            {
                failure = "bad job targets: " + error;
                return null;
            }

            if ((ulong)endpoints.Count + set!.Count > MaxEndpoints)
            {
                failure = $"bad job targets: a {job.Name} job may list at most {MaxEndpoints} address and port pairs";
                return null;
            }

            foreach (var range in set.Ranges)
            {
                for (var offset = 0UL; offset < range.Count; offset++)
                {
                    var address = Ipv4Range.ToIPAddress(range.AddressAt(offset));
                    for (var p = 0; p < set.Ports.Count; p++)
                    {
                        endpoints.Add(new IPEndPoint(address, set.Ports.PortAt(p)));
                    }
                }
            }
        }

        failure = endpoints.Count == 0 ? "bad job targets: the job has none" : null;
        return failure is null ? endpoints : null;
    }
}
