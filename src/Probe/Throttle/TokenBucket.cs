// HOT PATH: TryTake runs once per batch of probes on every send thread. Allocates nothing, takes no locks (one
// compare-and-swap per grant).
//
// The send rate has to match maxProbesPerSecond within a few percent anywhere from 1 to 1 000 000 probes/s. Pacing
// each packet individually cannot work at the top of that range — no sleep is shorter than ~50 µs, and per-packet
// clock reads and sleeps would cost more than the send — so, as in masscan's main-throttle.c, the bucket is asked
// for a *batch*: it grants every token that has come due on the monotonic clock of the injected TimeProvider, up to
// the batch size. A sleep that overshoots therefore does not make the rate drift (the overshoot is granted next
// time); it only makes the next batch larger. That is also why the caller never needs Thread.Sleep(1) precision.
//
// The bucket is kept as one number, the time at which the last granted token came due (the "theoretical arrival
// time" of the generic cell rate algorithm): token k after it is due k intervals later. Granting n tokens is a
// single compare-and-swap that moves that time n intervals on, so several send threads can share one bucket
// without a lock — and must, because with a bucket per thread a thread that is descheduled for a while would leave
// its share of the rate unused while the others idle.
//
// Credit is capped at a small capacity (100 ms worth of tokens, at least 2): if the due time has fallen further
// behind the clock than that, it is pulled forward first. That is the "reset after a stall": a process that was
// descheduled or paused for seconds does not then fire seconds' worth of probes at the network in a burst; it
// loses that time and resumes at the asked rate. The bucket starts empty when first used, so N probes take N/rate
// seconds and the achieved rate measured over the send phase equals the asked rate.
//
// Time is kept relative to the first use and in 1/256 clock ticks, so intervals that are not a whole number of
// ticks (3 probes/µs on a 10 MHz clock) stay accurate to a fraction of a percent without floating point in the
// shared state.
//
// The bucket never sleeps itself; it says how long until the next token is due and the throttle decides how to
// wait. That keeps it a pure function of the clock, testable to the tick with a fake TimeProvider.

namespace Outpost.Probe.Throttle;

/// <summary>A batch token bucket on a monotonic clock, safe to share between send threads.</summary>
public sealed class TokenBucket
{
    private const double CapacitySeconds = 0.100;
    private const long Scale = 256;
    private readonly TimeProvider _time;
    private readonly long _interval;
    private readonly long _capacity;
    private long _origin;
    private long _due;

    /// <summary>A bucket refilling at <paramref name="probesPerSecond"/> (must be positive and finite).</summary>
    public TokenBucket(double probesPerSecond, TimeProvider time)
    {
        if (!(probesPerSecond > 0) || double.IsInfinity(probesPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(probesPerSecond), probesPerSecond, "The rate must be a positive, finite number of probes per second.");
        }

        _time = time ?? throw new ArgumentNullException(nameof(time));
        _interval = Math.Max(1, (long)Math.Round(time.TimestampFrequency * Scale / probesPerSecond));
        _capacity = (long)Math.Max(2.0, probesPerSecond * CapacitySeconds) * _interval;
    }

    /// <summary>
    /// Takes up to <paramref name="max"/> whole tokens. Returns how many were taken; when none are available,
    /// <paramref name="wait"/> is the time until the next one is due.
    /// </summary>
    public int TryTake(int max, out TimeSpan wait) => TryTake(max, out wait, out _);

    /// <summary>
    /// As <see cref="TryTake(int, out TimeSpan)"/>; when none are available, <paramref name="waitForAll"/> is also
    /// the time until all <paramref name="max"/> will be due, so the caller can sleep for a whole batch.
    /// </summary>
    public int TryTake(int max, out TimeSpan wait, out TimeSpan waitForAll)
    {
        var now = Now();
        while (true)
        {
            var due = Volatile.Read(ref _due);
            var from = Math.Max(due, now - _capacity);
            var available = (now - from) / _interval;
            if (available <= 0)
            {
                wait = ToTimeSpan(from + _interval - now);
                waitForAll = ToTimeSpan(from + (max * _interval) - now);
                return 0;
            }

            var granted = (int)Math.Min(max, available);
            if (Interlocked.CompareExchange(ref _due, from + (granted * _interval), due) == due)
            {
                wait = TimeSpan.Zero;
                waitForAll = TimeSpan.Zero;
                return granted;
            }
        }
    }

    private TimeSpan ToTimeSpan(long units) => TimeSpan.FromSeconds((double)units / Scale / _time.TimestampFrequency);

    // Clock units since the first call: the first caller fixes the origin, so set-up time is not credit.
    private long Now()
    {
        var timestamp = _time.GetTimestamp();
        var origin = Volatile.Read(ref _origin);
        if (origin == 0)
        {
            origin = Interlocked.CompareExchange(ref _origin, timestamp, 0) is var previous && previous == 0 ? timestamp : previous;
        }

        return (timestamp - origin) * Scale;
    }
}
