namespace Outpost.Store.Lifecycle;

/// <summary>Time conversions between the API's <see cref="DateTimeOffset"/> and the records' UTC ticks (0 = none).</summary>
internal static class Ticks
{
    public static long Of(DateTimeOffset time) => time.UtcTicks;

    public static DateTimeOffset ToTime(long ticks) => new(ticks, TimeSpan.Zero);

    public static DateTimeOffset? ToTimeOrNull(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
}
