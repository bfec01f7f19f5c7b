using System.Globalization;
using Outpost.Probe.Jobs;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Guard;

/// <summary>
/// What a scanner holds its jobs to, whatever the appliance hands out (docs/probe-engine.md, "What the node refuses"):
/// targets it never probes (<see cref="ForbiddenTargets"/>), a rate ceiling of its own, and a rate for a job that
/// names none. A node takes these from its flags and probe.json, the built-in scanner from the appliance's settings.
/// </summary>
public sealed record JobGuard
{
    /// <summary>The node's default ceiling: well above a LAN scan, well below what saturates an uplink.</summary>
    public const int DefaultMaxRate = 100_000;

    /// <summary>The rate of a job that names none (or 0), unless the ceiling is lower.</summary>
    public const int DefaultJobRate = 1_000;

    /// <summary>Whether 127.0.0.0/8 may be probed (tests and development only).</summary>
    public bool AllowLoopback { get; init; }

    /// <summary>How the operator turns loopback on, named in the refusal so they know what to change.</summary>
    public string LoopbackFlag { get; init; } = "--allow-loopback";

    /// <summary>No job runs faster than this, in probes (or connections) per second.</summary>
    public int MaxRate { get; init; } = DefaultMaxRate;

    /// <summary>The rate of a job that names none.</summary>
    public int DefaultRate { get; init; } = DefaultJobRate;

    /// <summary>Null when the job may run; otherwise why the scanner refuses it, in words an operator can act on.</summary>
    public string? Refusal(JobAssignment job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var ranges = new List<Ipv4Range>(job.Targets.Count);
        foreach (var target in job.Targets)
        {
            // A target the engine cannot parse fails the job there, with the parser's own words.
            if (Ipv4Range.TryParse(target.Cidr, out var range, out _))
            {
                ranges.Add(range);
            }
        }

        return ForbiddenTargets.Refusal(ranges, AllowLoopback, LoopbackFlag);
    }

    /// <summary>The rate the job runs at: its own, or the default when it has none, never above the ceiling.</summary>
    public int RateFor(int asked) => Math.Min(asked > 0 ? asked : DefaultRate, MaxRate);

    /// <summary>Returns a sentence describing the first invalid setting, or null.</summary>
    public string? Validate() =>
        MaxRate < 1 ? "--max-rate must be at least 1 probe per second."
        : DefaultRate < 1 ? "--default-rate must be at least 1 probe per second."
        : null;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"max-rate={MaxRate} default-rate={DefaultRate} loopback={(AllowLoopback ? "allowed" : "refused")}");
}
