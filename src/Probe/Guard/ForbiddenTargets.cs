using Outpost.Probe.Targets;

namespace Outpost.Probe.Guard;

/// <summary>
/// The addresses a scanner never probes, whoever asks (docs/probe-engine.md, "What the node refuses"): the one rule
/// the remote node, the appliance's built-in scanner and <c>outpost-probe scan</c> all apply before a probe leaves.
/// A SYN to "this network" (0.0.0.0/8), to multicast (224.0.0.0/4), to the reserved block (240.0.0.0/4) or to the
/// limited broadcast is never a scan of a host: at best it is dropped, at worst it reaches every machine on the link.
/// Loopback (127.0.0.0/8) is the scanner's own machine; it is probed only when the operator started the scanner with
/// the loopback test flag, which the test suites and a development appliance use.
/// </summary>
public static class ForbiddenTargets
{
    private static readonly Block[] Always =
    [
        new(new Ipv4Range(0x00000000, 0x00FFFFFF), "0.0.0.0/8", "\"this network\", not a host"),
        new(new Ipv4Range(0xE0000000, 0xEFFFFFFF), "224.0.0.0/4", "multicast"),
        new(new Ipv4Range(0xF0000000, 0xFFFFFFFE), "240.0.0.0/4", "reserved"),
        new(new Ipv4Range(0xFFFFFFFF, 0xFFFFFFFF), "255.255.255.255", "the limited broadcast"),
    ];

    private static readonly Block Loopback = new(new Ipv4Range(0x7F000000, 0x7FFFFFFF), "127.0.0.0/8", "this machine's loopback");

    /// <summary>
    /// Null when every address of <paramref name="ranges"/> may be probed; otherwise one sentence naming the first
    /// refused address, why, and what to do (<paramref name="loopbackFlag"/> is how the caller spells its loopback flag).
    /// </summary>
    public static string? Refusal(IEnumerable<Ipv4Range> ranges, bool allowLoopback, string loopbackFlag)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        foreach (var range in ranges)
        {
            foreach (var block in Always)
            {
                if (Overlap(range, block.Range) is { } address)
                {
                    return $"refused target {Ipv4Range.FormatAddress(address)}: {block.Name} is {block.What} and is never scanned; remove it from the targets.";
                }
            }

            if (!allowLoopback && Overlap(range, Loopback.Range) is { } local)
            {
                return $"refused target {Ipv4Range.FormatAddress(local)}: {Loopback.Name} is {Loopback.What}; scanning it needs {loopbackFlag} (meant for tests).";
            }
        }

        return null;
    }

    // The first address both ranges hold, if any.
    private static uint? Overlap(Ipv4Range a, Ipv4Range b) => a.First <= b.Last && b.First <= a.Last ? Math.Max(a.First, b.First) : null;

    private readonly record struct Block(Ipv4Range Range, string Name, string What);
}
