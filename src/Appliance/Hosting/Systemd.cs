using Outpost.Probe.Systemd;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// Pings systemd's watchdog only while the store answers, so a wedged daemon gets restarted. Readiness (once the
/// store is recovered and Kestrel listens), stopping and the journal's log format come from
/// Microsoft.Extensions.Hosting.Systemd (see <see cref="SystemdIntegration"/>).
/// </summary>
public sealed class SystemdService(SystemdWatchdog watchdog, StoreLifetime store, TimeProvider clock, IHostApplicationLifetime lifetime,
    ILogger<SystemdService> logger) : LoopService(BackgroundLoop.SystemdWatchdog, clock, lifetime, logger)
{
    protected override TimeSpan? Period => watchdog.Period;

    protected override ValueTask TickAsync(CancellationToken ct)
    {
        if (store.Ready)
        {
            watchdog.Ping();
        }

        return ValueTask.CompletedTask;
    }
}
