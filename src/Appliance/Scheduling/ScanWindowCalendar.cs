using System.Globalization;
using Outpost.Appliance.Planning;

namespace Outpost.Appliance.Scheduling;

/// <summary>
/// When automated jobs may be handed to scanners: the scan windows of the settings, read as wall-clock times.
///
/// A window is a weekly range: on each of its days (none listed: every day), from Start to End in the appliance's time
/// zone. An End at or before Start spans midnight, and belongs to the day it starts on: "fri 22:00–06:00" is open
/// Friday night until Saturday 06:00. No windows at all means always open.
///
/// Wall clock, not elapsed time, because that is what an admin means by "22:00 to 06:00": the instant is converted to
/// the zone's local time and the local day and time of day are compared. Daylight saving falls out of that: on the
/// night the clocks go forward a window shrinks by the missing hour (a start inside the gap opens when the clock jumps
/// past it), and when they go back it grows by the repeated hour. <see cref="NextOpening"/> computes the first instant a
/// window starts by converting each candidate start back to UTC, taking the earlier of two readings of a repeated time
/// and walking to the jump for a time that does not exist; every candidate is then checked with <see cref="IsOpen"/>,
/// so the two directions cannot disagree.
/// </summary>
public sealed class ScanWindowCalendar
{
    private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    private readonly Window[] _windows;

    private ScanWindowCalendar(TimeZoneInfo zone, Window[] windows)
    {
        Zone = zone;
        _windows = windows;
    }

    public TimeZoneInfo Zone { get; }

    /// <summary>The calendar of validated settings (see <c>ScanSettingsRules</c>); an unknown zone reads as UTC.</summary>
    public static ScanWindowCalendar From(ScanSettings settings)
    {
        var windows = new Window[settings.Windows.Count];
        for (var i = 0; i < windows.Length; i++)
        {
            var window = settings.Windows[i];
            var days = 0;
            foreach (var day in window.Days ?? [])
            {
                days |= 1 << Array.IndexOf(DayNames, day);
            }

            windows[i] = new Window(days == 0 ? 0x7F : days,
                TimeOnly.ParseExact(window.Start, "HH:mm", CultureInfo.InvariantCulture).ToTimeSpan(),
                TimeOnly.ParseExact(window.End, "HH:mm", CultureInfo.InvariantCulture).ToTimeSpan());
        }

        return new ScanWindowCalendar(FindZone(settings.TimeZone) ?? TimeZoneInfo.Utc, windows);
    }

    /// <summary>The zone with this IANA (or Windows) id, or null.</summary>
    public static TimeZoneInfo? FindZone(string? id) =>
        id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;

    /// <summary>True when automated jobs may be dispatched at <paramref name="now"/>. Allocation-free: the claim path asks.</summary>
    public bool IsOpen(DateTimeOffset now)
    {
        if (_windows.Length == 0)
        {
            return true;
        }

        var local = TimeZoneInfo.ConvertTime(now, Zone).DateTime;
        var today = 1 << (int)local.DayOfWeek;
        var yesterday = 1 << (((int)local.DayOfWeek + 6) % 7);
        var time = local.TimeOfDay;
        foreach (var window in _windows)
        {
            if (window.Start < window.End)
            {
                if ((window.Days & today) != 0 && time >= window.Start && time < window.End)
                {
                    return true;
                }
            }
            else if (((window.Days & today) != 0 && time >= window.Start) || ((window.Days & yesterday) != 0 && time < window.End))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first instant at or after <paramref name="from"/> inside a window; null when no window ever opens.</summary>
    public DateTimeOffset? NextOpening(DateTimeOffset from)
    {
        if (IsOpen(from))
        {
            return from;
        }

        DateTimeOffset? next = null;
        var firstDay = TimeZoneInfo.ConvertTime(from, Zone).Date;
        // Eight days: every weekday's start is seen at least once after any moment of the week.
        for (var offset = 0; offset <= 8; offset++)
        {
            var day = firstDay.AddDays(offset);
            foreach (var window in _windows)
            {
                if ((window.Days & (1 << (int)day.DayOfWeek)) == 0)
                {
                    continue;
                }

                var start = StartInstant(day + window.Start);
                if (start >= from && (next is null || start < next) && IsOpen(start))
                {
                    next = start;
                }
            }
        }

        return next;
    }

    /// <summary>The first instant the zone's clock reads <paramref name="local"/> (or has just jumped past it).</summary>
    private DateTimeOffset StartInstant(DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (Zone.IsAmbiguousTime(local))
        {
            // A repeated hour: the first reading is the one with the larger offset.
            var offsets = Zone.GetAmbiguousTimeOffsets(local);
            var offset = offsets[0] > offsets[1] ? offsets[0] : offsets[1];
            return new DateTimeOffset(local, offset).ToUniversalTime();
        }

        if (!Zone.IsInvalidTime(local))
        {
            return new DateTimeOffset(local, Zone.GetUtcOffset(local)).ToUniversalTime();
        }

        // Skipped by a jump forward: read it with the later (larger) offset, which is no later than the jump, and walk
        // minute by minute to the instant the clock first shows it or a later time (at most the size of the jump).
        var instant = new DateTimeOffset(local, Zone.BaseUtcOffset).ToUniversalTime();
        foreach (var rule in Zone.GetAdjustmentRules())
        {
            var candidate = new DateTimeOffset(local, Zone.BaseUtcOffset + rule.DaylightDelta).ToUniversalTime();
            if (candidate < instant)
            {
                instant = candidate;
            }
        }

        while (TimeZoneInfo.ConvertTime(instant, Zone).DateTime < local)
        {
            instant = instant.AddMinutes(1);
        }

        return instant;
    }

    private readonly record struct Window(int Days, TimeSpan Start, TimeSpan End);
}
