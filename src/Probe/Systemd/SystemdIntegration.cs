using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace Outpost.Probe.Systemd;

/// <summary>
/// systemd integration for both Outpost processes (the <c>outpost</c> daemon and <c>outpost-probe node</c>), through
/// Microsoft.Extensions.Hosting.Systemd: READY=1 once the host has started, STOPPING=1 when shutdown begins, SIGTERM
/// as a graceful stop and journald's log format. The library does not ping the watchdog; <see cref="SystemdWatchdog"/>
/// does, from each process's own loop, so that a wedged process stops pinging.
/// </summary>
public static class SystemdIntegration
{
    public static IServiceCollection AddOutpostSystemd(this IServiceCollection services)
    {
        services.AddSystemd();
        // The library switches itself on only when our parent process is systemd. A notify socket handed over by any
        // other supervisor speaking sd_notify (the process tests are one) gets the same lifetime and notifier; the
        // log format stays the plain console one there, as nothing says stderr is the journal.
        if (!SystemdHelpers.IsSystemdService() && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")))
        {
            services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        services.AddSingleton(sp => new SystemdWatchdog(sp.GetService<ISystemdNotifier>()));
        return services;
    }
}
