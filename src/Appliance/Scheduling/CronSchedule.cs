using System.Globalization;
using System.Text.RegularExpressions;
using Quartz;

namespace Outpost.Appliance.Scheduling;

/// <summary>
/// A recurring scan's cron expression in its time zone, evaluated by Quartz's <see cref="CronExpression"/>.
///
/// Admins write the classic five fields, "minute hour day-of-month month day-of-week" ("0 22 * * 1-5": 22:00 on
/// weekdays); Quartz wants seconds first, weekdays numbered 1 (Sunday) to 7, and "?" in one of the two day fields. So a
/// five-field expression is translated: "0 " in front, weekday numbers to names (0 and 7 are Sunday; numbers after "/"
/// are steps and stay), and "?" for whichever day field is "*". Classic cron ORs the two day fields when both are set;
/// Quartz cannot, so that is refused rather than silently read differently. Six or seven fields are taken as Quartz
/// syntax as they are, as long as the seconds field is a single second. Quartz evaluates in the zone, so "22:00"
/// stays 22:00 local across daylight saving changes.
/// </summary>
public sealed partial class CronSchedule
{
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

    private readonly CronExpression _expression;

    private CronSchedule(CronExpression expression) => _expression = expression;

    /// <summary>Parses <paramref name="cron"/> for <paramref name="zone"/>; null with a reason when it is not a usable schedule.</summary>
    public static CronSchedule? TryParse(string cron, TimeZoneInfo zone, out string? error)
    {
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string quartz;
        if (fields.Length == 5)
        {
            var dayOfMonth = fields[2];
            var dayOfWeek = NumberedDay().Replace(fields[4].ToUpperInvariant(),
                m => int.TryParse(m.Value, CultureInfo.InvariantCulture, out var day) && day < DayNames.Length ? DayNames[day] : m.Value);
            if (dayOfWeek == "*")
            {
                dayOfWeek = "?";
            }
            else if (dayOfMonth == "*")
            {
                dayOfMonth = "?";
            }
            else
            {
                error = "set day-of-month or day-of-week, not both (use * for one of them).";
                return null;
            }

            quartz = $"0 {fields[0]} {fields[1]} {dayOfMonth} {fields[3]} {dayOfWeek}";
        }
        else if (fields.Length is 6 or 7)
        {
            // A scan a second is not a schedule; it would also outpace the scheduler's cycle.
            if (!int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                error = "the seconds field must be a single second (0-59): scans cannot repeat more than once a minute.";
                return null;
            }

            quartz = string.Join(' ', fields);
        }
        else
        {
            error = "expected five fields (minute hour day month weekday), or Quartz's six or seven starting with seconds.";
            return null;
        }

        CronExpression expression;
        try
        {
            expression = new CronExpression(quartz) { TimeZone = zone };
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return null;
        }

        error = null;
        return new CronSchedule(expression);
    }

    /// <summary>The first due time strictly after <paramref name="after"/>, or null when the expression never matches again.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after) => _expression.GetNextValidTimeAfter(after);

    // A weekday number: digits not after "/" (a step) or "#" (the nth weekday), nor before a letter ("5L").
    [GeneratedRegex(@"(?<![/#\d])\d+(?![\dA-Z])")]
    private static partial Regex NumberedDay();
}
