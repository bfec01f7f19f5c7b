using Outpost.Appliance.Alarms;

namespace Outpost.Appliance.Hosting;

/// <summary>Every background loop the daemon runs, named in one place (so a newcomer can list them all).</summary>
public enum BackgroundLoop
{
    /// <summary>Marks silent scanners offline, re-queues their jobs after the re-assign timeout, raises and clears alarms.</summary>
    ScannerSupervisor,
    /// <summary>Pets systemd's watchdog at half its interval.</summary>
    SystemdWatchdog,
    /// <summary>Dispatches due scheduled scans and starts (or skips, saying why) the runs of recurring scans.</summary>
    Scheduler,
    /// <summary>Removes finished jobs, findings and scans older than the retention age.</summary>
    Retention,
    /// <summary>The appliance's own scanner (<c>local</c>): heartbeats, notices stops and claims jobs for the in-process probe engine.</summary>
    BuiltInScanner,
    /// <summary>Sends queued notifications (webhooks, syslog) with retries and records each outcome.</summary>
    NotificationDelivery,
    /// <summary>Folds the results of scans whose probing ended into the inventory, then tells the scan-processed listeners.</summary>
    InventoryProcessing,
    /// <summary>Looks up the inventory's new addresses (and, now and then, the others) in reverse DNS.</summary>
    ReverseDns,
}

/// <summary>Which loops run on every ingest node and which only on the leader (see <see cref="Leadership"/>).</summary>
public static class BackgroundLoops
{
    /// <summary>Everything but the node's own watchdog must run once across nodes; a new loop is leader-only by default.</summary>
    public static bool RunsOnLeaderOnly(this BackgroundLoop loop) => loop is not BackgroundLoop.SystemdWatchdog;
}

/// <summary>
/// A background loop as a cancellable hosted service: one tick per <see cref="Period"/> on the injected clock. A tick
/// that throws is a fatal error: the loop logs it, sets a non-zero exit code and stops the daemon, rather than
/// leaving a half-working appliance that nobody notices. Two exceptions: a leader-only loop skips its ticks while
/// another node leads, and a tick that finds the shared store unreachable is skipped (the database comes back; the
/// next tick retries).
/// </summary>
public abstract partial class LoopService(BackgroundLoop loop, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger logger) : BackgroundService
{
    private readonly TimeProvider _clock = clock;
    private readonly ILogger _logger = logger;

    public BackgroundLoop Loop { get; } = loop;

    protected IHostApplicationLifetime Lifetime { get; } = lifetime;

    /// <summary>Who leads the loops that run once across nodes; set by <see cref="Hosting.Leadership"/> at start (null: this node).</summary>
    public Leadership? Leadership { get; set; }

    /// <summary>Time between ticks; null leaves the loop off (for example no watchdog was asked for).</summary>
    protected abstract TimeSpan? Period { get; }

    protected abstract ValueTask TickAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Period is not { } period)
        {
            return;
        }

        LogStarted(_logger, Loop, period);
        try
        {
            using var timer = new PeriodicTimer(period, _clock);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (Loop.RunsOnLeaderOnly() && Leadership is { IsLeader: false })
                {
                    continue;
                }

                try
                {
                    await TickAsync(stoppingToken);
                }
                catch (Outpost.Store.StoreUnavailableException ex)
                {
                    LogStoreUnavailable(_logger, Loop, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: the loop ends with the host.
        }
        catch (Exception ex)
        {
            LogFailed(_logger, ex, Loop);
            Environment.ExitCode = 1;
            Lifetime.StopApplication();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Background loop {Loop} started, every {Period}")]
    private static partial void LogStarted(ILogger logger, BackgroundLoop loop, TimeSpan period);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Background loop {Loop} skipped a tick: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, BackgroundLoop loop, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Background loop {Loop} failed; stopping the daemon")]
    private static partial void LogFailed(ILogger logger, Exception exception, BackgroundLoop loop);
}
