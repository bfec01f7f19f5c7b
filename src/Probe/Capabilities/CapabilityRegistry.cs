using Outpost.Probe.Capabilities.Crawler;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Capabilities.Portscan;
using Outpost.Probe.Capabilities.Screenshot;
using Outpost.Probe.Capabilities.Vulnscan;
using Outpost.Probe.Engine;

namespace Outpost.Probe.Capabilities;

/// <summary>What the capabilities of one scanner need from their host: the engine, where to send, whose name to carry.</summary>
public sealed record CapabilitySettings
{
    /// <summary>The SYN probe engine (the port scan's).</summary>
    public ProbeScanner Engine { get; init; } = new();

    public PortscanOptions Portscan { get; init; } = new();

    /// <summary>The attribution text every capability sends (header and user agent); the node's or the appliance's.</summary>
    public string? Attribution { get; init; }

    /// <summary>Chromium for screenshots; null looks in the usual Debian places.</summary>
    public string? ChromiumPath { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// The capabilities a scanner has, by job name: the one list the runner dispatches through and the heartbeat
/// advertises from. A new capability is a folder under <c>Capabilities/</c> and one line in <see cref="Create"/>.
/// </summary>
public sealed class CapabilityRegistry
{
    private readonly Dictionary<string, ICapability> _byName;

    public CapabilityRegistry(IEnumerable<ICapability> capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        _byName = new Dictionary<string, ICapability>(StringComparer.Ordinal);
        foreach (var capability in capabilities)
        {
            _byName.Add(capability.Name, capability);
        }

        All = [.. _byName.Values.OrderBy(c => c.Name, StringComparer.Ordinal)];
    }

    /// <summary>The job names of <see cref="Create"/>'s capabilities: what an appliance may plan scans of.</summary>
    public static IReadOnlyList<string> JobNames { get; } = [.. Create(new CapabilitySettings()).All.Select(c => c.Name)];

    /// <summary>Every registered capability, by name, whether or not it can run here.</summary>
    public IReadOnlyList<ICapability> All { get; }

    /// <summary>The scanner's capabilities: the registration list.</summary>
    public static CapabilityRegistry Create(CapabilitySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new CapabilityRegistry(
        [
            new PortscanCapability(settings.Engine, settings.Portscan),
            new FingerprintCapability(settings.Attribution, settings.Time),
            new CrawlerCapability(settings.Attribution, settings.Time),
            new ScreenshotCapability(settings.ChromiumPath, settings.Attribution, settings.Time),
            new VulnscanCapability(settings.Attribution, settings.Time),
        ]);
    }

    /// <summary>The capabilities that can run on this machine: what the heartbeat advertises.</summary>
    public IReadOnlyList<ICapability> Available()
    {
        var available = new List<ICapability>(All.Count);
        foreach (var capability in All)
        {
            if (capability.Unavailable is null)
            {
                available.Add(capability);
            }
        }

        return available;
    }

    /// <summary>The capability running jobs named <paramref name="jobName"/>, or null when this scanner has none.</summary>
    public ICapability? Find(string jobName) => _byName.GetValueOrDefault(jobName);
}
