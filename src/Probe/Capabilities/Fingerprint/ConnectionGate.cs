using System.Collections.Concurrent;
using System.Net;
using Outpost.Probe.Throttle;

namespace Outpost.Probe.Capabilities.Fingerprint;

/// <summary>
/// The politeness limits of one run: every connection takes a token from one rate bucket (the job's
/// maxProbesPerSecond counts connections here, since each probe is one) and a slot of its host's connection limit,
/// held until the connection is closed.
/// </summary>
internal sealed class ConnectionGate(FingerprintOptions options)
{
    private readonly TokenBucket? _rate = options.MaxProbesPerSecond > 0 && !double.IsInfinity(options.MaxProbesPerSecond)
        ? new TokenBucket(options.MaxProbesPerSecond, options.Time)
        : null;

    private readonly ConcurrentDictionary<IPAddress, SemaphoreSlim> _hosts = new();

    /// <summary>Waits for a slot of <paramref name="host"/> and a rate token; dispose the result to free the slot.</summary>
    public async ValueTask<Slot> EnterAsync(IPAddress host, CancellationToken ct)
    {
        var semaphore = _hosts.GetOrAdd(host, _ => new SemaphoreSlim(options.MaxConnectionsPerHost));
        await semaphore.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (_rate is not null && _rate.TryTake(1, out var wait) == 0)
            {
                await Task.Delay(wait, options.Time, ct).ConfigureAwait(false);
            }
        }
        catch
        {
            semaphore.Release();
            throw;
        }

        return new Slot(semaphore);
    }

    public readonly struct Slot(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }
}
