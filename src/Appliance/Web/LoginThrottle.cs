using System.Collections.Concurrent;

namespace Outpost.Appliance.Web;

/// <summary>
/// Slows down guessing of passwords, the admin secret and bearer tokens: after <see cref="MaxFailures"/> wrong credentials from one address within
/// <see cref="Window"/>, that address is refused (429) until its oldest failure leaves the window. A correct credential
/// clears the address's record, but only when it is not blocked: otherwise a guesser would learn that the guess that
/// got through was right.
/// </summary>
public sealed class LoginThrottle(TimeProvider clock)
{
    /// <summary>The key of the instance that counts wrong bearer tokens (the unkeyed one counts sign-ins).</summary>
    public const string Bearer = "bearer";

    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    /// <summary>True when the address must wait; <paramref name="retryAfter"/> says how long.</summary>
    public bool IsBlocked(string address, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_failures.TryGetValue(address, out var failures))
        {
            return false;
        }

        var now = clock.GetUtcNow();
        lock (failures)
        {
            Expire(failures, now);
            if (failures.Count < MaxFailures)
            {
                return false;
            }

            retryAfter = failures.Peek() + Window - now;
            return true;
        }
    }

    public void RecordFailure(string address)
    {
        var now = clock.GetUtcNow();
        if (_failures.Count > PruneAbove)
        {
            Prune(now);
        }

        var failures = _failures.GetOrAdd(address, static _ => new Queue<DateTimeOffset>());
        lock (failures)
        {
            Expire(failures, now);
            failures.Enqueue(now);
        }
    }

    public void RecordSuccess(string address) => _failures.TryRemove(address, out _);

    /// <summary>The address failures are counted against.</summary>
    public static string AddressOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    // Guesses from many addresses must not grow memory without bound: forget addresses whose failures have all expired.
    private const int PruneAbove = 1024;

    private void Prune(DateTimeOffset now)
    {
        foreach (var (address, failures) in _failures)
        {
            lock (failures)
            {
                Expire(failures, now);
                if (failures.Count == 0)
                {
                    _failures.TryRemove(address, out _);
                }
            }
        }
    }

    private static void Expire(Queue<DateTimeOffset> failures, DateTimeOffset now)
    {
        while (failures.Count > 0 && failures.Peek() + Window <= now)
        {
            failures.Dequeue();
        }
    }
}
