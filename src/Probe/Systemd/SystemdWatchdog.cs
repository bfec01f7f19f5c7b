using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;

namespace Outpost.Probe.Systemd;

/// <summary>
/// Watchdog pings (WATCHDOG=1), the one part of sd_notify that Microsoft.Extensions.Hosting.Systemd leaves to the
/// service: only the service knows whether it is still doing its work, so each process pings from its own loop.
/// </summary>
public sealed class SystemdWatchdog(ISystemdNotifier? notifier)
{
    private static readonly ServiceState Watchdog = new("WATCHDOG=1");

    /// <summary>Half of <c>WATCHDOG_USEC</c> when systemd asked this process for pings, else null (no pings).</summary>
    public TimeSpan? Period { get; } = notifier is { IsEnabled: true } ? ReadPeriod() : null;

    public void Ping()
    {
        if (Period is not null)
        {
            notifier!.Notify(Watchdog);
        }
    }

    private static TimeSpan? ReadPeriod()
    {
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var micro) || micro <= 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(micro / 2.0);
    }
}
