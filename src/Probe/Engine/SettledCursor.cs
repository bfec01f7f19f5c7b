namespace Outpost.Probe.Engine;

/// <summary>
/// The cursor a scan reports for resuming (docs/probe-engine.md): the position below which every probe was sent at
/// least the reply wait ago. A probe sent just before a stop or a crash may still have its reply on the way, and a
/// resumed run never sends it again; so the cursor lags the send position by the wait, and those probes are sent
/// twice instead of losing their findings. Fed a sample at every progress report; not a hot path.
/// </summary>
internal sealed class SettledCursor(TimeSpan wait, ulong start, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Queue<(long At, ulong SentBelow)> _samples = new();
    private ulong _settled = start;

    /// <summary>Records that every probe below <paramref name="sentBelow"/> was sent by now; returns the settled cursor.</summary>
    public ulong Observe(ulong sentBelow)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            _samples.Enqueue((now, sentBelow));
            while (_samples.TryPeek(out var oldest) && time.GetElapsedTime(oldest.At, now) >= wait)
            {
                _settled = Math.Max(_settled, oldest.SentBelow);
                _samples.Dequeue();
            }

            return _settled;
        }
    }
}
