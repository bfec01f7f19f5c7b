namespace Outpost.Appliance.Planning;

/// <summary>
/// Probe rates (probes per second): the highest one anyone may configure, and how limits combine. Limits come from the
/// scanner, the subnets a job touches, the port list and the scan; the slowest one wins (docs/lifecycle.md, "Rates").
/// </summary>
public static class ProbeRate
{
    /// <summary>The highest rate anyone may configure; the probe engine is specified up to 1 000 000 pps.</summary>
    public const int Max = 10_000_000;

    /// <summary>The slower of two optional limits; no limit (null) loses to any limit.</summary>
    public static int? Slowest(int? a, int? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
