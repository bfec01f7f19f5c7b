// HOT PATH: Sleep runs between batches on the send threads. Allocates nothing (the token's wait handle is created
// once and cached by the token).
//
// The wait blocks on the cancellation token's wait handle, so a sleeping send thread uses no CPU and still wakes at
// once when the scan is cancelled. Its millisecond granularity costs no accuracy: the throttle never asks for less
// than ProbeThrottle.MinimumSleep, and whatever a wait overshoots is granted as a larger next batch, not lost.

namespace Outpost.Probe.Throttle;

/// <summary>The real <see cref="ISleeper"/>: a cancellable kernel wait.</summary>
public sealed class SystemSleeper : ISleeper
{
    /// <summary>The shared instance; it holds no state.</summary>
    public static SystemSleeper Instance { get; } = new();

    public void Sleep(TimeSpan duration, CancellationToken cancellationToken) => cancellationToken.WaitHandle.WaitOne(duration);
}
