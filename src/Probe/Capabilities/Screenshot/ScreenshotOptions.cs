namespace Outpost.Probe.Capabilities.Screenshot;

/// <summary>How web services are rendered (docs/capabilities.md lists the defaults).</summary>
public sealed record ScreenshotOptions
{
    /// <summary>The fixed viewport, in CSS pixels at scale 1.</summary>
    public int ViewportWidth { get; init; } = 1280;

    public int ViewportHeight { get; init; } = 800;

    /// <summary>How long one page may take to load before it is given up.</summary>
    public TimeSpan PageTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A PNG above this size is retaken at half the viewport, and dropped (with a warning) if still too big. The
    /// appliance takes uploads up to 1 MiB.
    /// </summary>
    public int MaxPngBytes { get; init; } = 1 << 20;

    /// <summary>Pages rendered at once within a job.</summary>
    public int Parallelism { get; init; } = 2;
}
