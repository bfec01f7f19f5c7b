namespace Outpost.Appliance.Scheduling;

// The scheduler's stored records (Documents keeps them in the store).

/// <summary>The scheduler's state document: survives restarts.</summary>
public sealed record SchedulerState(bool Paused);

/// <summary>
/// The stored side of a recurring scan (collection <c>schedules</c>, keyed by <see cref="Id"/>): the id is that of the
/// scan holding its spec (in status scheduled, never dispatched itself); <see cref="Runs"/> is newest first and bounded.
/// </summary>
public sealed record RecurringSchedule(long Id, string Cron, string TimeZone, DateTimeOffset CreatedAt, DateTimeOffset? NextRunAt,
    IReadOnlyList<ScheduleRun> Runs);

/// <summary>A due time of a schedule: <see cref="ScanId"/> for a run that started, <see cref="Skipped"/> (the reason) otherwise.</summary>
public sealed record ScheduleRun(DateTimeOffset At, long? ScanId, string? Skipped);
