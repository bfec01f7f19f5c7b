using Outpost.Appliance.Hosting;

namespace Outpost.Appliance.Scheduling;

/// <summary>
/// Whether automated jobs may be handed to scanners now: scheduling not paused, and inside a scan window.
///
/// It also keeps the parsed scan settings for the other hot-path reader, the do-not-scan list of claims and progress replies.
///
/// HOT PATH: every claim asks. The answer depends on two store documents (the scan settings and the scheduler state),
/// and a document read may be a database round trip (the PostgreSQL store), so the gate keeps what it read for
/// <see cref="RefreshInterval"/> and re-parses only text that changed. This node's own writes (pause, resume, settings)
/// call <see cref="Invalidate"/>, so they apply to the very next claim; another node's writes apply within the
/// interval. A restarted node reads afresh, so a pause survives restarts with the document that holds it.
/// </summary>
public sealed class DispatchGate(StoreLifetime storeLifetime, TimeProvider clock)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private State? _state;

    /// <summary>True when automated (scheduled and recurring) jobs may be claimed at <paramref name="now"/>.</summary>
    public bool AutomatedAllowed(DateTimeOffset now)
    {
        var state = Current();
        return !state.Paused && state.Calendar.IsOpen(now);
    }

    public bool Paused => Current().Paused;

    public ScanWindowCalendar Calendar => Current().Calendar;

    /// <summary>The scan settings as last read (the do-not-scan list that claims and progress replies carry comes from here).</summary>
    public Planning.ScanSettings Settings => Current().Settings;

    /// <summary>Drops what was read: the next question reads the documents again. Call after writing either.</summary>
    public void Invalidate() => Volatile.Write(ref _state, null);

    private State Current()
    {
        var state = Volatile.Read(ref _state);
        var now = clock.GetTimestamp();
        if (state is not null && clock.GetElapsedTime(state.ReadAt, now) < RefreshInterval)
        {
            return state;
        }

        var store = storeLifetime.Store;
        var settings = store.GetDocument(Documents.Settings, Documents.ScanSettingsKey);
        var scheduler = store.GetDocument(Documents.Settings, Documents.SchedulerKey);
        state = state is not null && string.Equals(state.SettingsJson, settings, StringComparison.Ordinal)
            && string.Equals(state.SchedulerJson, scheduler, StringComparison.Ordinal)
            ? state with { ReadAt = now }
            : Read(settings, scheduler, now);
        Volatile.Write(ref _state, state);
        return state;
    }

    private static State Read(string? settingsJson, string? schedulerJson, long now)
    {
        var settings = Documents.ParseScanSettings(settingsJson);
        return new State(settingsJson, schedulerJson, Documents.ParseScheduler(schedulerJson).Paused, ScanWindowCalendar.From(settings), settings, now);
    }

    private sealed record State(string? SettingsJson, string? SchedulerJson, bool Paused, ScanWindowCalendar Calendar, Planning.ScanSettings Settings, long ReadAt);
}
