using Outpost.Appliance.Planning;
using Outpost.Appliance.Scheduling;

namespace Outpost.Appliance.Tests.Scheduling;

/// <summary>Scan windows as wall-clock times: inside and outside, overnight ranges, time zones and daylight saving.</summary>
public sealed class ScanWindowCalendarTests
{
    private static ScanWindowCalendar Calendar(string zone, params ScanWindow[] windows) =>
        ScanWindowCalendar.From(new ScanSettings { TimeZone = zone, Windows = windows });

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void No_windows_means_always_open()
    {
        var calendar = Calendar("UTC");
        Assert.True(calendar.IsOpen(Utc("2026-11-20T03:17:00Z")));
        Assert.Equal(Utc("2026-11-20T03:17:00Z"), calendar.NextOpening(Utc("2026-11-20T03:17:00Z")));
    }

    [Fact]
    public void A_daytime_window_is_open_from_its_start_until_just_before_its_end_on_its_days()
    {
        // 2026-11-20 is a Friday.
        var calendar = Calendar("UTC", new ScanWindow(["mon", "fri"], "09:00", "17:00"));
        Assert.False(calendar.IsOpen(Utc("2026-11-20T08:59:00Z")));
        Assert.True(calendar.IsOpen(Utc("2026-11-20T09:00:00Z")));
        Assert.True(calendar.IsOpen(Utc("2026-11-20T16:59:59Z")));
        Assert.False(calendar.IsOpen(Utc("2026-11-20T17:00:00Z")));
        Assert.False(calendar.IsOpen(Utc("2026-11-21T12:00:00Z"))); // Saturday
        Assert.Equal(Utc("2026-11-23T09:00:00Z"), calendar.NextOpening(Utc("2026-11-20T17:00:00Z"))); // next Monday
    }

    [Fact]
    public void An_overnight_window_belongs_to_the_day_it_starts_on()
    {
        var calendar = Calendar("UTC", new ScanWindow(["fri"], "22:00", "06:00"));
        Assert.False(calendar.IsOpen(Utc("2026-11-20T05:00:00Z"))); // Friday morning: Thursday night is not in the window
        Assert.False(calendar.IsOpen(Utc("2026-11-20T21:59:00Z")));
        Assert.True(calendar.IsOpen(Utc("2026-11-20T22:00:00Z")));
        Assert.True(calendar.IsOpen(Utc("2026-11-21T05:59:00Z"))); // Saturday morning
        Assert.False(calendar.IsOpen(Utc("2026-11-21T06:00:00Z")));
        Assert.Equal(Utc("2026-11-20T22:00:00Z"), calendar.NextOpening(Utc("2026-11-20T12:00:00Z")));
        Assert.Equal(Utc("2026-11-27T22:00:00Z"), calendar.NextOpening(Utc("2026-11-21T06:00:00Z")));
    }

    [Fact]
    public void Windows_are_read_in_the_appliances_time_zone()
    {
        // 22:00–06:00 every day in New York (UTC-5 in November) is 03:00–11:00 UTC.
        var calendar = Calendar("America/New_York", new ScanWindow(null, "22:00", "06:00"));
        Assert.False(calendar.IsOpen(Utc("2026-11-20T02:59:00Z")));
        Assert.True(calendar.IsOpen(Utc("2026-11-20T03:00:00Z")));
        Assert.True(calendar.IsOpen(Utc("2026-11-20T10:59:00Z")));
        Assert.False(calendar.IsOpen(Utc("2026-11-20T11:00:00Z")));
        Assert.Equal(Utc("2026-11-21T03:00:00Z"), calendar.NextOpening(Utc("2026-11-20T12:00:00Z")));

        // The same window in Tokyo (UTC+9) opens at 13:00 UTC.
        Assert.Equal(Utc("2026-11-20T13:00:00Z"), Calendar("Asia/Tokyo", new ScanWindow(null, "22:00", "06:00")).NextOpening(Utc("2026-11-20T12:00:00Z")));
    }

    [Fact]
    public void When_the_clocks_go_forward_a_window_keeps_its_wall_clock_times_and_a_start_in_the_gap_opens_at_the_jump()
    {
        // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
        var night = Calendar("Europe/Berlin", new ScanWindow(null, "01:00", "05:00"));
        Assert.True(night.IsOpen(Utc("2026-03-29T00:00:00Z")));  // 01:00 CET
        Assert.True(night.IsOpen(Utc("2026-03-29T02:59:00Z")));  // 04:59 CEST
        Assert.False(night.IsOpen(Utc("2026-03-29T03:00:00Z"))); // 05:00 CEST: three hours of real time, not four
        Assert.Equal(Utc("2026-03-29T23:00:00Z"), night.NextOpening(Utc("2026-03-29T03:00:00Z"))); // 01:00 CEST next day

        var inGap = Calendar("Europe/Berlin", new ScanWindow(["sun"], "02:30", "04:00"));
        Assert.False(inGap.IsOpen(Utc("2026-03-29T00:59:00Z")));
        Assert.Equal(Utc("2026-03-29T01:00:00Z"), inGap.NextOpening(Utc("2026-03-28T12:00:00Z")));
        Assert.True(inGap.IsOpen(Utc("2026-03-29T01:00:00Z")));
    }

    [Fact]
    public void When_the_clocks_go_back_a_window_over_the_repeated_hour_lasts_an_hour_longer_and_opens_at_its_first_reading()
    {
        // Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET (01:00 UTC); 02:00–03:00 local happens twice.
        var calendar = Calendar("Europe/Berlin", new ScanWindow(["sun"], "02:00", "04:00"));
        Assert.Equal(Utc("2026-10-25T00:00:00Z"), calendar.NextOpening(Utc("2026-10-24T12:00:00Z"))); // 02:00 CEST
        Assert.True(calendar.IsOpen(Utc("2026-10-25T00:30:00Z")));
        Assert.True(calendar.IsOpen(Utc("2026-10-25T02:59:00Z")));  // 03:59 CET
        Assert.False(calendar.IsOpen(Utc("2026-10-25T03:00:00Z"))); // 04:00 CET: three hours of real time
    }
}
