namespace Outpost.Appliance.BuiltInScanner;

/// <summary>Section <c>Outpost:BuiltInScanner</c>: the appliance's own scanner, named <c>local</c>.</summary>
public sealed class BuiltInScannerOptions
{
    /// <summary>The scanner name the appliance registers for itself.</summary>
    public const string ScannerName = "local";

    /// <summary>
    /// Whether the appliance scans too, as the scanner <c>local</c> (registered on first start). On by default, so a
    /// lone appliance scans out of the box; an admin whose box must not send probes turns it off.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Jobs the built-in scanner runs at once.</summary>
    public int ClaimLimit { get; set; } = 1;

    /// <summary>How often it looks for work, notices stops and heartbeats.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Send probes on this interface instead of the routed one.</summary>
    public string? Interface { get; set; }

    /// <summary>
    /// Whether the built-in scanner may probe 127.0.0.0/8, the appliance's own loopback (docs/probe-engine.md, "What the
    /// node refuses"). Off by default: a scan of loopback from the appliance scans the appliance. Test suites and a
    /// development appliance turn it on (<c>Outpost__BuiltInScanner__AllowLoopback=true</c>).
    /// </summary>
    public bool AllowLoopback { get; set; }

    /// <summary>How the refusal names this setting.</summary>
    public const string AllowLoopbackSetting = "Outpost:BuiltInScanner:AllowLoopback";
}
