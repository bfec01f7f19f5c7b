// HOT PATH: Acquire runs once per batch on the send threads. Allocates nothing, takes no locks.
//
// A send thread that waits only until the very next token is due wakes once per probe at moderate rates — 10 000
// wake-ups a second at 10k probes/s, which costs more CPU than the probes themselves. So a wait is never shorter
// than MinimumSleep: at 10k probes/s the thread wakes 500 times a second and sends ~20 probes back to back each time.
// The rate is unchanged (the bucket grants everything that came due while asleep); only the spacing becomes
// bursts of at most 2 ms worth of probes, far below what a capture buffer or a target notices.

namespace Outpost.Probe.Throttle;

/// <summary>
/// Paces the send loop: a <see cref="TokenBucket"/> for the asked rate plus an <see cref="ISleeper"/> to wait for
/// tokens, or no limit at all for "as fast as possible". Only probes are paced — replies and the kernel's RSTs to
/// SYN-ACKs are not sent by this loop and never consume tokens. One throttle paces all send threads of a scan;
/// it is thread-safe.
/// </summary>
public sealed class ProbeThrottle
{
    /// <summary>The shortest wait between batches.</summary>
    public static readonly TimeSpan MinimumSleep = TimeSpan.FromMilliseconds(2);

    private readonly TokenBucket? _bucket;
    private readonly ISleeper _sleeper;

    /// <summary>
    /// A throttle at <paramref name="probesPerSecond"/>; zero, negative or infinite means unlimited.
    /// </summary>
    public ProbeThrottle(double probesPerSecond, TimeProvider time, ISleeper sleeper)
    {
        _sleeper = sleeper ?? throw new ArgumentNullException(nameof(sleeper));
        if (probesPerSecond > 0 && !double.IsInfinity(probesPerSecond))
        {
            _bucket = new TokenBucket(probesPerSecond, time);
        }
    }

    /// <summary>Blocks until at least one probe may be sent; returns how many (1..<paramref name="max"/>), or 0 if cancelled.</summary>
    public int Acquire(int max, CancellationToken cancellationToken)
    {
        if (_bucket is null)
        {
            return cancellationToken.IsCancellationRequested ? 0 : max;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var granted = _bucket.TryTake(max, out var wait);
            if (granted > 0)
            {
                return granted;
            }

            _sleeper.Sleep(wait < MinimumSleep ? MinimumSleep : wait, cancellationToken);
        }

        return 0;
    }
}
