using Outpost.Probe.Capabilities.Fingerprint.Rules;

namespace Outpost.Probe.Capabilities.Fingerprint;

/// <summary>How a fingerprint run behaves: its timeouts, its politeness limits and the rules it identifies with.</summary>
public sealed record FingerprintOptions
{
    /// <summary>The probes and matchers (default: the database shipped inside outpost-probe).</summary>
    public RuleDatabase Rules { get; init; } = RuleDatabase.BuiltIn;

    /// <summary>How long a TCP connect (and a TLS handshake) may take before the port counts as filtered.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long to wait for the first byte of a reply to one probe (a silent probe then moves on).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// New connections per second over the whole run (every probe opens one); zero or less means no limit.
    /// A job's maxProbesPerSecond goes here.
    /// </summary>
    public double MaxProbesPerSecond { get; init; }

    /// <summary>Connections open at once to one address.</summary>
    public int MaxConnectionsPerHost { get; init; } = 4;

    /// <summary>Endpoints fingerprinted at once over the whole run.</summary>
    public int MaxConcurrentEndpoints { get; init; } = 256;

    /// <summary>The User-Agent sent with HTTP probes: the scan's attribution.</summary>
    public string UserAgent { get; init; } = "outpost-probe";

    /// <summary>The X-Scan-Attribution header sent with HTTP probes (null or blank: none), as the crawler and screenshots send it.</summary>
    public string? Attribution { get; init; }

    /// <summary>Clock for the connection rate (tests inject a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Null when the options are usable, else what is wrong with them.</summary>
    public string? Validate()
    {
        if (ConnectTimeout <= TimeSpan.Zero || ReadTimeout <= TimeSpan.Zero)
        {
            return "Timeouts must be positive.";
        }

        if (double.IsNaN(MaxProbesPerSecond))
        {
            return "The rate must be a number.";
        }

        if (MaxConnectionsPerHost < 1 || MaxConcurrentEndpoints < 1)
        {
            return "Connection limits must be at least 1.";
        }

        if (Attribution.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            return "The attribution must be one line.";
        }

        return UserAgent.AsSpan().IndexOfAny('\r', '\n') >= 0 ? "The user agent must be one line." : null;
    }
}
