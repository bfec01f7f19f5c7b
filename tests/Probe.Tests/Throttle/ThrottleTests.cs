using Outpost.Probe.Throttle;

namespace Outpost.Probe.Tests.Throttle;

public class ThrottleTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(10_000)]
    [InlineData(100_000)]
    [InlineData(1_000_000)]
    public void Achieves_the_asked_rate_within_two_percent(double rate)
    {
        // Each sleep overshoots by 60 µs to 1.1 ms, like a real kernel timer: the rate must not drift.
        var random = new Random(11);
        var clock = new FakeClock { Overshoot = _ => TimeSpan.FromTicks(random.Next(600, 11_000)) };
        var throttle = new ProbeThrottle(rate, clock, clock);
        var probes = (long)Math.Max(20, rate * 2);
        var start = clock.GetTimestamp();
        long sent = 0;
        while (sent < probes)
        {
            var granted = throttle.Acquire((int)Math.Min(64, probes - sent), CancellationToken.None);
            Assert.InRange(granted, 1, 64);
            sent += granted;
            clock.Advance(TimeSpan.FromTicks(granted)); // sending costs 100 ns per frame
        }

        var achieved = sent / clock.GetElapsedTime(start).TotalSeconds;
        Assert.InRange(achieved, rate * 0.98, rate * 1.02);
    }

    [Fact]
    public void Low_rates_sleep_instead_of_spinning()
    {
        var clock = new FakeClock();
        var throttle = new ProbeThrottle(10, clock, clock);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(1, throttle.Acquire(64, CancellationToken.None));
        }

        // One sleep per probe, each the full 100 ms gap: no polling loop.
        Assert.InRange(clock.Sleeps, 50, 51);
        Assert.InRange(clock.Slept.TotalSeconds, 4.99, 5.01);
    }

    [Fact]
    public void Moderate_rates_wake_once_per_batch()
    {
        var clock = new FakeClock();
        var throttle = new ProbeThrottle(10_000, clock, clock);
        long sent = 0;
        while (sent < 10_000)
        {
            sent += throttle.Acquire(64, CancellationToken.None);
        }

        // One simulated second: ~160 wake-ups of a 64-probe batch, not 10 000 wake-ups of one.
        Assert.InRange(clock.Sleeps, 150, 160);
        Assert.InRange(clock.Slept.TotalSeconds, 0.99, 1.01);
    }

    [Fact]
    public void High_rates_are_granted_in_batches()
    {
        var clock = new FakeClock { Overshoot = _ => TimeSpan.FromMilliseconds(1) };
        var throttle = new ProbeThrottle(1_000_000, clock, clock);
        Assert.Equal(0, clock.Sleeps);
        var granted = throttle.Acquire(64, CancellationToken.None);
        Assert.Equal(64, granted); // after one ~1 ms sleep, a full batch is due
        Assert.Equal(1, clock.Sleeps);
    }

    [Fact]
    public void A_stall_does_not_cause_a_burst()
    {
        var clock = new FakeClock();
        var bucket = new TokenBucket(1000, clock);
        Assert.Equal(0, bucket.TryTake(1000, out var wait)); // starts empty
        Assert.Equal(TimeSpan.FromMilliseconds(1), wait);
        clock.Advance(TimeSpan.FromSeconds(30)); // the process was paused
        var granted = bucket.TryTake(100_000, out _);
        Assert.Equal(100, granted); // 100 ms worth of credit, not 30 000 probes
        Assert.Equal(0, bucket.TryTake(1000, out _));
        clock.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(5, bucket.TryTake(1000, out _)); // and then the normal rate
    }

    [Fact]
    public void Threads_sharing_a_throttle_never_get_more_than_the_rate_between_them()
    {
        // Four real threads, released at once by a barrier, race the bucket's compare-and-swap while the fake clock stands
        // still; it moves only between rounds. What they get together must be exactly what came due: a double grant
        // would show as a surplus, a lost update as a shortfall. No wall clock, so a loaded machine cannot skew it.
        var clock = new FakeClock();
        var bucket = new TokenBucket(20_000, clock);
        while (bucket.TryTake(1_000, out _) > 0)
        {
        }

        for (var round = 0; round < 20; round++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(5)); // 100 tokens come due
            long granted = 0;
            using var start = new Barrier(4);
            var threads = Enumerable.Range(0, 4).Select(n => new Thread(() =>
            {
                start.SignalAndWait();
                int got;
                while ((got = bucket.TryTake(7, out _)) > 0)
                {
                    Interlocked.Add(ref granted, got);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.Equal(100, granted);
        }
    }

    [Fact]
    public void Unlimited_never_waits_and_cancellation_returns_zero()
    {
        var clock = new FakeClock();
        Assert.Equal(64, new ProbeThrottle(0, clock, clock).Acquire(64, CancellationToken.None));
        Assert.Equal(0, clock.Sleeps);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Equal(0, new ProbeThrottle(5, clock, clock).Acquire(64, cancelled.Token));
        Assert.Equal(0, new ProbeThrottle(0, clock, clock).Acquire(64, cancelled.Token));
    }

    [Fact]
    public void Rejects_nonsense_rates()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(0, TimeProvider.System));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(double.NaN, TimeProvider.System));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(double.PositiveInfinity, TimeProvider.System));
    }
}
