using System.Globalization;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Planning;
using Outpost.Appliance.ScannerProtocol;
using Outpost.Store;
using Outpost.Store.Model;

namespace Outpost.Appliance.Scheduling;

/// <summary>
/// The loop that starts automated scans: one-off scheduled scans at their time, and the runs of recurring scans.
///
/// A recurring scan is stored as a scan in status scheduled that is never dispatched itself (it holds the spec, and
/// its id is the schedule's id, so the UI lists, shows and removes it like any scan) plus a schedule document with the
/// cron expression, its time zone, the next due time and the history of due times. When a due time passes, the cycle
/// either creates a run, a new scan linked to the schedule (<see cref="ScanSpec.ScheduleId"/>) with its jobs, or
/// records why it did not: scheduling is paused, the previous run is still active, or one of its scanners is offline
/// or disabled (its targets are not moved to another scanner: scanners sit in particular networks). Due times missed
/// while the daemon was down are recorded as one skip, and the latest one runs.
///
/// Jobs are planned at dispatch, from the settings and scanner limits of that moment, so a changed limit applies to
/// every job dispatched afterwards. Automated jobs outside the scan windows are still created; the claim path
/// (<see cref="DispatchGate"/>) holds them in the queue until a window opens. When a window ends, the cycle pauses the
/// automated jobs scanners still hold (<see cref="IOutpostStore.PauseAutomatedJobsAsync"/>): they are told to stop and
/// come back to the queue with their cursor, to resume in the next window.
///
/// Every decision depends only on the store and the clock, and cycles never overlap, so a cycle is idempotent: a run
/// created just before a crash is found again by its due time (its <see cref="ScanSpec.ScheduledAt"/>) instead of
/// being created twice. Creating and removing recurring scans take the same lock as the cycle, so on this node a cycle
/// never sees a half-made one; a scheduled scan without a start time or a schedule is what a crash in the middle left
/// (the admin never got the 201), and the cycle removes it once it is older than <see cref="OrphanGrace"/>, which
/// leaves another node (sharing a PostgreSQL store) the time to finish a creation the lock cannot see.
/// </summary>
public sealed partial class ScanScheduler(StoreLifetime storeLifetime, DispatchGate gate, IOptions<OutpostOptions> options, TimeProvider clock,
    IHostApplicationLifetime lifetime, ILogger<ScanScheduler> logger) : LoopService(BackgroundLoop.Scheduler, clock, lifetime, logger)
{
    /// <summary>How many due times a schedule's history keeps (runs themselves stay as scans until retention removes them).</summary>
    public const int MaxHistory = 100;

    /// <summary>How old a recurring scan without its schedule must be before it counts as the remains of a crash.</summary>
    public static readonly TimeSpan OrphanGrace = TimeSpan.FromMinutes(1);

    private const int MaxMissedCount = 100_000;

    private readonly SemaphoreSlim _cycle = new(1, 1);
    private readonly OutpostOptions _options = options.Value;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger _logger = logger;

    protected override TimeSpan? Period => _options.Scheduling.CycleInterval;

    protected override ValueTask TickAsync(CancellationToken ct) => CycleAsync(ct);

    /// <summary>One pass: dispatch due one-off scans, run or skip due recurring ones, clean up after crashes.</summary>
    public async ValueTask CycleAsync(CancellationToken ct = default)
    {
        await _cycle.WaitAsync(ct);
        try
        {
            var store = storeLifetime.Store;
            var now = _clock.GetUtcNow();
            var paused = gate.Paused;
            if (!gate.Calendar.IsOpen(now) && await store.PauseAutomatedJobsAsync(now, ct) is > 0 and var held)
            {
                LogWindowEnded(_logger, held);
            }

            var scans = store.ListScans();
            var schedules = Documents.ListSchedules(store);
            foreach (var scan in scans)
            {
                if (scan.Status != ScanStatus.Scheduled || schedules.Any(s => s.Id == scan.Id))
                {
                    continue;
                }

                if (scan.Spec.ScheduledAt is not { } at)
                {
                    if (now - scan.CreatedAt >= OrphanGrace)
                    {
                        LogOrphanRemoved(_logger, scan.Id);
                        await store.DeleteScheduledScanAsync(scan.Id, ct);
                    }
                }
                else if (at <= now && !paused && Plan(store, scan.Spec) is { Count: > 0 } jobs)
                {
                    // Not found or already dispatched: removed or stopped by an admin meanwhile; nothing to do.
                    await store.DispatchScanAsync(scan.Id, jobs, now, ct);
                }
            }

            foreach (var schedule in schedules)
            {
                switch (store.GetScan(schedule.Id))
                {
                    case null:
                        await Documents.DeleteScheduleAsync(store, schedule.Id, ct);
                        break;
                    case { Status: ScanStatus.Scheduled } template when schedule.NextRunAt is { } due && due <= now:
                        await FireAsync(store, template, schedule, due, now, paused, scans, ct);
                        break;
                    default:
                        // Not due, or stopped by an admin, which ends the schedule.
                        break;
                }
            }
        }
        finally
        {
            _cycle.Release();
        }
    }

    /// <summary>
    /// Creates a recurring scan from a validated spec (automated, without a start time) and a parsed cron expression.
    /// Null when the expression never falls due after now.
    /// </summary>
    public async ValueTask<(Scan Scan, RecurringSchedule Schedule)?> CreateRecurringAsync(ScanSpec spec, string cron, CronSchedule schedule,
        string timeZone, CancellationToken ct = default)
    {
        await _cycle.WaitAsync(ct);
        try
        {
            var now = _clock.GetUtcNow();
            if (schedule.NextAfter(now) is not { } next)
            {
                return null;
            }

            var store = storeLifetime.Store;
            var scan = await store.CreateScanAsync(spec, ScanStatus.Scheduled, [], now, ct);
            var recurring = new RecurringSchedule(scan.Id, cron, timeZone, now, next, []);
            await Documents.WriteScheduleAsync(store, recurring, ct);
            return (scan, recurring);
        }
        finally
        {
            _cycle.Release();
        }
    }

    /// <summary>Removes a scheduled one-off scan, or a recurring scan with its schedule (its past runs stay).</summary>
    public async ValueTask<StoreStatus> RemoveAsync(long scanId, CancellationToken ct = default)
    {
        await _cycle.WaitAsync(ct);
        try
        {
            var store = storeLifetime.Store;
            var status = await store.DeleteScheduledScanAsync(scanId, ct);
            if (status == StoreStatus.Ok)
            {
                await Documents.DeleteScheduleAsync(store, scanId, ct);
            }

            return status;
        }
        finally
        {
            _cycle.Release();
        }
    }

    /// <summary>
    /// When automated scanning next starts, for the Jobs page's countdown: the earliest due one-off or recurring scan,
    /// or (outside the windows) the opening that waiting automated jobs wait for, each moved to the next window opening.
    /// Null while paused or with nothing scheduled.
    /// </summary>
    public DateTimeOffset? NextCycleAt()
    {
        if (gate.Paused)
        {
            return null;
        }

        var store = storeLifetime.Store;
        var now = _clock.GetUtcNow();
        var calendar = gate.Calendar;
        DateTimeOffset? next = null;
        void Consider(DateTimeOffset due)
        {
            if (calendar.NextOpening(due < now ? now : due) is { } opening && (next is null || opening < next))
            {
                next = opening;
            }
        }

        var open = calendar.IsOpen(now);
        foreach (var scan in store.ListScans())
        {
            if (scan.Status == ScanStatus.Scheduled && scan.Spec.ScheduledAt is { } at)
            {
                Consider(at);
            }
            else if (!open && scan.Spec.Automated && scan.Jobs.Queued > 0)
            {
                Consider(now);
            }
        }

        foreach (var schedule in Documents.ListSchedules(store))
        {
            if (schedule.NextRunAt is { } due && store.GetScan(schedule.Id) is { Status: ScanStatus.Scheduled })
            {
                Consider(due);
            }
        }

        return next;
    }

    private async ValueTask FireAsync(IOutpostStore store, Scan template, RecurringSchedule schedule, DateTimeOffset due, DateTimeOffset now,
        bool paused, IReadOnlyList<Scan> scans, CancellationToken ct)
    {
        var cron = CronSchedule.TryParse(schedule.Cron, ScanWindowCalendar.FindZone(schedule.TimeZone) ?? TimeZoneInfo.Utc, out _);
        // The latest due time runs; earlier ones passed while no cycle ran (the daemon was down). The count is bounded
        // so a year of downtime under a per-minute schedule costs a moment, not minutes.
        var latest = due;
        var missed = 0;
        while (missed < MaxMissedCount && cron?.NextAfter(latest) is { } later && later <= now)
        {
            latest = later;
            missed++;
        }

        var history = new List<ScheduleRun>(MaxHistory);
        long? runId = null;
        string? skipped = null;
        if (scans.FirstOrDefault(s => s.Spec.ScheduleId == template.Id && s.Spec.ScheduledAt == latest) is { } earlier)
        {
            runId = earlier.Id;
        }
        else
        {
            skipped = SkipReason(store, template, scans, paused, now);
            if (skipped is null)
            {
                var spec = template.Spec with { ScheduleId = template.Id, ScheduledAt = latest, Automated = true };
                var jobs = Plan(store, spec);
                runId = (await store.CreateScanAsync(spec, ScanStatus.Running, jobs, now, ct)).Id;
                LogRunStarted(_logger, template.Id, template.Spec.Name, runId.Value);
            }
            else
            {
                LogRunSkipped(_logger, template.Id, template.Spec.Name, skipped);
            }
        }

        history.Add(new ScheduleRun(latest, runId, skipped));
        if (missed > 0)
        {
            history.Add(new ScheduleRun(due, null, string.Create(CultureInfo.InvariantCulture,
                $"missed: {missed} due time(s) from this one on passed while the appliance was not running")));
        }

        history.AddRange(schedule.Runs.Take(MaxHistory - history.Count));
        await Documents.WriteScheduleAsync(store, schedule with { NextRunAt = cron?.NextAfter(now), Runs = history }, ct);
    }

    private string? SkipReason(IOutpostStore store, Scan template, IReadOnlyList<Scan> scans, bool paused, DateTimeOffset now)
    {
        if (paused)
        {
            return "scheduling is paused";
        }

        foreach (var scan in scans)
        {
            if (scan.Spec.ScheduleId == template.Id && scan.Status is ScanStatus.Running or ScanStatus.Stopping)
            {
                return string.Create(CultureInfo.InvariantCulture, $"the previous run (scan {scan.Id}) is still {scan.Status.ToWire()}");
            }
        }

        foreach (var scannerId in template.Spec.ScannerIds)
        {
            var scanner = store.GetScanner(scannerId);
            if (scanner is null)
            {
                return string.Create(CultureInfo.InvariantCulture, $"scanner {scannerId} no longer exists");
            }

            if (!scanner.Enabled)
            {
                return $"scanner '{scanner.Name}' is disabled";
            }

            if (!ScannerPresence.IsOnline(scanner, now, _options.Scanners))
            {
                return $"scanner '{scanner.Name}' is offline";
            }
        }

        if (template.Spec.Pools.Count > 0)
        {
            var all = store.ListScanners();
            foreach (var name in template.Spec.Pools)
            {
                if (ScannerPools.Find(all, name) is not { } pool)
                {
                    return $"pool '{name}' has no scanners any more";
                }

                if (!pool.Members.Any(s => s.Enabled && ScannerPresence.IsOnline(s, now, _options.Scanners)))
                {
                    return $"pool '{name}' has no enabled online member";
                }
            }
        }

        return null;
    }

    /// <summary>The scan's jobs as of now: current settings and scanner limits (slowest wins, see <see cref="ScanPlanner"/>).</summary>
    private static IReadOnlyList<NewJob> Plan(IOutpostStore store, ScanSpec spec)
    {
        var scanners = new List<Store.Model.Scanner>(spec.ScannerIds.Count);
        foreach (var id in spec.ScannerIds)
        {
            if (store.GetScanner(id) is { } scanner)
            {
                scanners.Add(scanner);
            }
        }

        var pools = ScannerPools.Existing(store, spec.Pools);
        return scanners.Count == 0 && pools.Count == 0 ? [] : ScanPlanner.Split(spec, Documents.ReadScanSettings(store), scanners, pools);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Recurring scan {ScheduleId} ({Name}) started run {ScanId}")]
    private static partial void LogRunStarted(ILogger logger, long scheduleId, string name, long scanId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recurring scan {ScheduleId} ({Name}) skipped a run: {Reason}")]
    private static partial void LogRunSkipped(ILogger logger, long scheduleId, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outside the scan windows: told scanners to pause {Jobs} automated jobs; they resume in the next window")]
    private static partial void LogWindowEnded(ILogger logger, int jobs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed scheduled scan {ScanId}: its creation was cut short before it was acknowledged")]
    private static partial void LogOrphanRemoved(ILogger logger, long scanId);
}
