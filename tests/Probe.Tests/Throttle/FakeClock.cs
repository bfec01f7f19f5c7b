using Outpost.Probe.Throttle;

namespace Outpost.Probe.Tests.Throttle;

/// <summary>A manual TimeProvider (ticks of 100 ns) and a sleeper that advances it, with optional overshoot.</summary>
internal sealed class FakeClock : TimeProvider, ISleeper
{
    private long _ticks = 1_000_000;

    public Func<TimeSpan, TimeSpan> Overshoot { get; init; } = _ => TimeSpan.Zero;

    public int Sleeps { get; private set; }

    public TimeSpan Slept { get; private set; }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan by) => _ticks += by.Ticks;

    public void Sleep(TimeSpan duration, CancellationToken cancellationToken)
    {
        Sleeps++;
        var actual = duration + Overshoot(duration);
        Slept += actual;
        Advance(actual);
    }
}
