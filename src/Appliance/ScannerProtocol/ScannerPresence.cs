using Outpost.Appliance.Hosting;

namespace Outpost.Appliance.ScannerProtocol;

/// <summary>Whether a scanner is online: one rule for the admin API, the metrics and the supervisor.</summary>
public static class ScannerPresence
{
    public static bool IsOnline(Store.Model.Scanner scanner, DateTimeOffset now, ScannerTimeouts timeouts) =>
        scanner.LastHeartbeatAt is { } last && now - last <= timeouts.HeartbeatTimeout;
}
