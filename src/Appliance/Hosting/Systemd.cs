using Outpost.Probe.Systemd;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// Tells systemd READY=1 once the store is recovered and Kestrel listens, STOPPING=1 when shutdown begins, and pets
/// the watchdog (only while the store answers, so a wedged daemon gets restarted).
/// </summary>
public sealed class SystemdService(SystemdNotifier notifier, StoreLifetime store, TimeProvider clock, IHostApplicationLifetime lifetime,
    ILogger<SystemdService> logger) : LoopService(BackgroundLoop.SystemdWatchdog, clock, lifetime, logger)
{
    protected override TimeSpan? Period => notifier.IsActive ? SystemdNotifier.WatchdogPeriod() : null;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Lifetime.ApplicationStarted.Register(() => notifier.Notify("READY=1\nSTATUS=Serving"));
        Lifetime.ApplicationStopping.Register(() => notifier.Notify("STOPPING=1\nSTATUS=Draining requests"));
        return base.StartAsync(cancellationToken);
    }

    protected override ValueTask TickAsync(CancellationToken ct)
    {
        if (store.Ready)
        {
            notifier.Notify("WATCHDOG=1");
        }

        return ValueTask.CompletedTask;
    }
}
