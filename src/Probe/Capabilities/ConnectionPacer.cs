using System.Collections.Concurrent;
using Outpost.Probe.Throttle;

namespace Outpost.Probe.Capabilities;

/// <summary>
/// The job's rate for connection-based capabilities (docs/capabilities.md): at most <c>maxProbesPerSecond</c> new
/// connections or requests per second over the whole job (the probe engine's <see cref="TokenBucket"/>, asked for one
/// token at a time), and at most <see cref="MaxConnectionsPerHost"/> open at once to any one address, so a small
/// device is never flooded however many of its ports a job lists.
/// </summary>
public sealed class ConnectionPacer(int maxProbesPerSecond, int maxConnectionsPerHost, TimeProvider time) : IDisposable
{
    /// <summary>Connections a capability keeps open to one address at once unless told otherwise.</summary>
    public const int DefaultConnectionsPerHost = 2;

    private readonly TokenBucket? _bucket = maxProbesPerSecond > 0 ? new TokenBucket(maxProbesPerSecond, time) : null;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _hosts = new(StringComparer.Ordinal);

    public int MaxConnectionsPerHost { get; } = Math.Max(1, maxConnectionsPerHost);

    /// <summary>
    /// Waits for a token and a free connection slot to <paramref name="host"/>; dispose the lease when the
    /// connection (or request) is done.
    /// </summary>
    public async ValueTask<Lease> AcquireAsync(string host, CancellationToken ct)
    {
        var slots = _hosts.GetOrAdd(host, _ => new SemaphoreSlim(MaxConnectionsPerHost, MaxConnectionsPerHost));
        await slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await TakeAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            slots.Release();
            throw;
        }

        return new Lease(slots);
    }

    /// <summary>Waits for one token of the job's rate.</summary>
    public async ValueTask TakeAsync(CancellationToken ct)
    {
        if (_bucket is null)
        {
            return;
        }

        while (_bucket.TryTake(1, out var wait) == 0)
        {
            await Task.Delay(wait, time, ct).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        foreach (var slots in _hosts.Values)
        {
            slots.Dispose();
        }
    }

    /// <summary>A held connection slot.</summary>
    public readonly struct Lease(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots?.Release();
    }
}
