namespace Outpost.Probe.Jobs;

/// <summary>
/// Exponential backoff with full jitter, for calls to an appliance that is down or restarting.
///
/// Why jitter: a restarted appliance is met by every node at once; if each waited exactly 1, 2, 4 … s they would all
/// come back in the same instant, again and again. Full jitter (a uniform delay between zero and the exponential
/// ceiling) spreads them over the window while keeping the expected wait growing, so a long outage costs few calls.
/// The ceiling is capped so a node notices the appliance's return within <see cref="Max"/>, and a floor keeps even
/// an unlucky draw from being a tight loop. Not thread-safe: one instance per retrying caller.
/// </summary>
public sealed class Backoff(TimeSpan initial, TimeSpan max, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;
    private int _failures;

    /// <summary>What a node uses: from 0.5 s up to 30 s.</summary>
    public static Backoff ForAppliance() => new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));

    public TimeSpan Initial { get; } = initial;

    public TimeSpan Max { get; } = max;

    /// <summary>Consecutive failures since the last <see cref="Reset"/>.</summary>
    public int Failures => _failures;

    /// <summary>The delay before the next attempt, after one more failure.</summary>
    public TimeSpan Next()
    {
        var exponent = Math.Min(_failures, 30);
        _failures++;
        var ceiling = Math.Min(Max.Ticks, Initial.Ticks * (1L << Math.Min(exponent, 20)));
        var floor = Initial.Ticks / 2;
        return TimeSpan.FromTicks(floor + (long)(_random.NextDouble() * Math.Max(0, ceiling - floor)));
    }

    /// <summary>After a success: the next failure starts from <see cref="Initial"/> again.</summary>
    public void Reset() => _failures = 0;
}
