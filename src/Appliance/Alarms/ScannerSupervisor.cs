using System.Globalization;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.ScannerProtocol;
using Outpost.Store;
using Outpost.Store.Model;

namespace Outpost.Appliance.Alarms;

/// <summary>
/// The loop that notices what nobody reports: a scanner gone silent and a scan left running with nothing to do.
///
/// A scanner whose heartbeat is older than the heartbeat timeout is offline (alarm <c>scanner-offline</c>). Its
/// claimed and running jobs stay with it for the re-assign timeout, counted from the last sign of life (heartbeat or
/// job update), because a short network outage should not restart long scans; after that the store re-queues them
/// with one more attempt, and a late report from the old holder gets 409. A scan still running (or stopping) whose
/// jobs have all finished is stuck (alarm <c>scan-stuck</c>): the store rolls a scan up in the same commit as its last
/// job, so this alarm means a bug or a damaged store, and an admin should look. Alarms are cleared when the condition
/// goes away. Every sweep reads the clock once from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class ScannerSupervisor(StoreLifetime storeLifetime, IOptions<OutpostOptions> options, InventoryProcessor inventory, TimeProvider clock,
    IHostApplicationLifetime lifetime, ILogger<ScannerSupervisor> logger) : LoopService(BackgroundLoop.ScannerSupervisor, clock, lifetime, logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ScannerTimeouts _timeouts = options.Value.Scanners;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger _logger = logger;

    protected override TimeSpan? Period => _timeouts.SweepInterval;

    protected override ValueTask TickAsync(CancellationToken ct) => SweepAsync(ct);

    /// <summary>One pass over scanners and scans. Sweeps never overlap.</summary>
    public async ValueTask SweepAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var store = storeLifetime.Store;
            var now = _clock.GetUtcNow();
            var alarms = store.ListAlarms();
            var scanners = store.ListScanners();
            foreach (var scanner in scanners)
            {
                await SuperviseAsync(store, scanner, alarms, now, ct);
            }

            var scans = store.ListScans();
            foreach (var scan in scans)
            {
                var subject = ScanSubject(scan.Id);
                var stuck = scan.Status is ScanStatus.Running or ScanStatus.Stopping && scan.Jobs.Total > 0 && scan.Jobs.Unfinished == 0;
                if (stuck && !IsRaised(alarms, AlarmKinds.ScanStuck, subject))
                {
                    LogStuck(_logger, scan.Id, scan.Spec.Name);
                    await store.RaiseAlarmAsync(new Alarm(AlarmKinds.ScanStuck, subject,
                        $"Scan '{scan.Spec.Name}' is still {scan.Status.ToWire()} but all its jobs have finished.", now), ct);
                }
                else if (!stuck && IsRaised(alarms, AlarmKinds.ScanStuck, subject))
                {
                    await store.ClearAlarmAsync(AlarmKinds.ScanStuck, subject, ct);
                }
            }

            // Alarms about scans or scanners that no longer exist.
            foreach (var alarm in alarms)
            {
                var gone = alarm.Kind switch
                {
                    AlarmKinds.ScanStuck => !Exists(scans, alarm.Subject, static (s, subject) => ScanSubject(s.Id) == subject),
                    AlarmKinds.ScannerOffline => !Exists(scanners, alarm.Subject, static (s, subject) => ScannerSubject(s.Id) == subject),
                    _ => false,
                };
                if (gone)
                {
                    await store.ClearAlarmAsync(alarm.Kind, alarm.Subject, ct);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public static string ScannerSubject(long scannerId) => "scanner:" + scannerId.ToString(CultureInfo.InvariantCulture);

    public static string ScanSubject(long scanId) => "scan:" + scanId.ToString(CultureInfo.InvariantCulture);

    private async ValueTask SuperviseAsync(IOutpostStore store, Store.Model.Scanner scanner, IReadOnlyList<Alarm> alarms, DateTimeOffset now,
        CancellationToken ct)
    {
        var subject = ScannerSubject(scanner.Id);
        var raised = IsRaised(alarms, AlarmKinds.ScannerOffline, subject);
        if (ScannerPresence.IsOnline(scanner, now, _timeouts))
        {
            if (raised)
            {
                LogBackOnline(_logger, scanner.Id, scanner.Name);
                await store.ClearAlarmAsync(AlarmKinds.ScannerOffline, subject, ct);
            }

            return;
        }

        var active = store.ListActiveJobs(scanner.Id);
        // A scanner that never reported and holds nothing is merely unused, and a disabled one is offline on purpose.
        var worthAlarm = scanner.Enabled && (scanner.LastHeartbeatAt is not null || active.Count > 0);
        if (worthAlarm && !raised)
        {
            var since = scanner.LastHeartbeatAt is { } last ? "since " + last.ToString("u", CultureInfo.InvariantCulture) : "ever";
            LogOffline(_logger, scanner.Id, scanner.Name);
            await store.RaiseAlarmAsync(new Alarm(AlarmKinds.ScannerOffline, subject, $"Scanner '{scanner.Name}' has not sent a heartbeat {since}.", now), ct);
        }
        else if (!worthAlarm && raised)
        {
            await store.ClearAlarmAsync(AlarmKinds.ScannerOffline, subject, ct);
        }

        if (active.Count > 0 && now - LastSignOfLife(scanner, active) >= _timeouts.ReassignTimeout)
        {
            var result = await store.RequeueScannerJobsAsync(scanner.Id, _timeouts.MaxAttempts, now, ct);
            LogRequeued(_logger, scanner.Id, scanner.Name, result.Requeued, result.FailedOverAttempts);
            // Jobs failed over their attempts may have ended their scans: process them now rather than at the next tick.
            if (result.FailedOverAttempts > 0) await inventory.TryProcessNowAsync(ct);
        }
    }

    private static DateTimeOffset LastSignOfLife(Store.Model.Scanner scanner, IReadOnlyList<Job> active)
    {
        var last = scanner.LastHeartbeatAt ?? DateTimeOffset.MinValue;
        foreach (var job in active)
        {
            var touched = job.UpdatedAt ?? job.StartedAt ?? job.ClaimedAt ?? job.CreatedAt;
            if (touched > last)
            {
                last = touched;
            }
        }

        return last;
    }

    private static bool IsRaised(IReadOnlyList<Alarm> alarms, string kind, string subject)
    {
        foreach (var alarm in alarms)
        {
            if (alarm.Kind == kind && alarm.Subject == subject)
            {
                return true;
            }
        }

        return false;
    }

    private static bool Exists<T>(IReadOnlyList<T> items, string subject, Func<T, string, bool> matches)
    {
        foreach (var item in items)
        {
            if (matches(item, subject))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scanner {ScannerId} ({Name}) is offline")]
    private static partial void LogOffline(ILogger logger, long scannerId, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scanner {ScannerId} ({Name}) is back online")]
    private static partial void LogBackOnline(ILogger logger, long scannerId, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scanner {ScannerId} ({Name}) silent past the re-assign timeout: {Requeued} jobs re-queued, {Failed} failed after too many attempts")]
    private static partial void LogRequeued(ILogger logger, long scannerId, string name, int requeued, int failed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scan {ScanId} ({Name}) is stuck: running with all its jobs finished")]
    private static partial void LogStuck(ILogger logger, long scanId, string name);
}
