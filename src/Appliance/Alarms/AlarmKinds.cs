namespace Outpost.Appliance.Alarms;

/// <summary>
/// Every kind of alarm the appliance raises, defined once: the code that raises an alarm names its kind here, the admin
/// API serves this list (<c>GET /api/alarms/kinds</c>), and the web UI takes its labels from that reply. A new kind is one
/// line in <see cref="All"/>. The list is in docs/admin-api.md.
/// </summary>
public static class AlarmKinds
{
    public const string ScannerOffline = "scanner-offline";
    public const string ScannerUnhealthy = "scanner-unhealthy";
    public const string ScanStuck = "scan-stuck";

    /// <summary>The kinds with the label the UI shows and how loud it is (<c>error</c> or <c>warning</c>).</summary>
    public static readonly IReadOnlyList<AlarmKind> All =
    [
        new(ScannerOffline, "Scanner offline", AlarmSeverity.Error),
        new(ScannerUnhealthy, "Scanner cannot run port scans", AlarmSeverity.Error),
        new(ScanStuck, "Scan stuck", AlarmSeverity.Error),
    ];
}

/// <summary>An alarm kind: its code (as alarms carry it), the label people read, and its severity.</summary>
public sealed record AlarmKind(string Kind, string Label, string Severity);

/// <summary>The severities the UI knows how to show.</summary>
public static class AlarmSeverity
{
    public const string Error = "error";
    public const string Warning = "warning";
}
