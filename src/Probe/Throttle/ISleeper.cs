namespace Outpost.Probe.Throttle;

/// <summary>
/// How the send loop waits for the next token: the OS seam of the throttle. Production uses
/// <see cref="SystemSleeper"/>; tests pass one that advances a fake clock, so rate tests take no wall time.
/// </summary>
public interface ISleeper
{
    /// <summary>Waits about <paramref name="duration"/> (over-sleeping is fine, the bucket absorbs it); returns early on cancellation.</summary>
    void Sleep(TimeSpan duration, CancellationToken cancellationToken);
}
