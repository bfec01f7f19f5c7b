using Outpost.Appliance.Scheduling;

namespace Outpost.Appliance.Tests.Scheduling;

/// <summary>Cron expressions: classic five fields translated for Quartz, Quartz's own syntax, time zones, bad input.</summary>
public sealed class CronScheduleTests
{
    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static CronSchedule Parse(string cron, string zone = "UTC")
    {
        var schedule = CronSchedule.TryParse(cron, TimeZoneInfo.FindSystemTimeZoneById(zone), out var error);
        Assert.True(schedule is not null, error);
        return schedule!;
    }

    [Fact]
    public void Five_fields_are_minute_hour_day_month_weekday_with_sunday_as_0_or_7()
    {
        // 2026-11-20 is a Friday.
        var weekdays = Parse("0 22 * * 1-5");
        Assert.Equal(Utc("2026-11-20T22:00:00Z"), weekdays.NextAfter(Utc("2026-11-20T12:00:00Z")));
        Assert.Equal(Utc("2026-11-23T22:00:00Z"), weekdays.NextAfter(Utc("2026-11-20T22:00:00Z")));

        Assert.Equal(Utc("2026-11-22T06:30:00Z"), Parse("30 6 * * 0").NextAfter(Utc("2026-11-20T12:00:00Z")));
        Assert.Equal(Utc("2026-11-22T06:30:00Z"), Parse("30 6 * * 7").NextAfter(Utc("2026-11-20T12:00:00Z")));
        Assert.Equal(Utc("2026-11-21T00:00:00Z"), Parse("0 0 * * 5-7").NextAfter(Utc("2026-11-20T12:00:00Z")));
        Assert.Equal(Utc("2026-12-01T00:15:00Z"), Parse("15 0 1 * *").NextAfter(Utc("2026-11-20T12:00:00Z")));
        Assert.Equal(Utc("2026-11-20T12:05:00Z"), Parse("*/5 * * * *").NextAfter(Utc("2026-11-20T12:00:00Z")));
    }

    [Fact]
    public void Six_fields_are_quartz_syntax()
    {
        Assert.Equal(Utc("2026-11-20T13:00:30Z"), Parse("30 0 13 ? * FRI").NextAfter(Utc("2026-11-20T12:00:00Z")));
    }

    [Fact]
    public void Due_times_are_wall_clock_times_in_the_schedules_zone_across_daylight_saving()
    {
        var berlin = Parse("0 22 * * *", "Europe/Berlin");
        Assert.Equal(Utc("2026-03-28T21:00:00Z"), berlin.NextAfter(Utc("2026-03-28T12:00:00Z"))); // CET, UTC+1
        Assert.Equal(Utc("2026-03-29T20:00:00Z"), berlin.NextAfter(Utc("2026-03-28T21:00:00Z"))); // CEST, UTC+2
        Assert.Equal(Utc("2026-10-25T21:00:00Z"), berlin.NextAfter(Utc("2026-10-24T20:00:00Z"))); // back to CET
    }

    [Theory]
    [InlineData("0 * * *")]
    [InlineData("0 22 1 * 1")]
    [InlineData("61 * * * *")]
    [InlineData("0 25 * * *")]
    [InlineData("banana")]
    [InlineData("0 0 0 * * * * *")]
    public void Bad_expressions_are_refused_with_a_reason(string cron)
    {
        Assert.Null(CronSchedule.TryParse(cron, TimeZoneInfo.Utc, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }
}
