namespace Outpost.Appliance.Tests.Infrastructure;

/// <summary>
/// The daemon's wall clock under the test's control: tests move time forward instead of waiting. Only the wall clock
/// is manual; timers and timestamps stay real (the supervisor's timer is set to a day in tests, and tests run its
/// sweep themselves).
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public ManualClock() : this(new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
