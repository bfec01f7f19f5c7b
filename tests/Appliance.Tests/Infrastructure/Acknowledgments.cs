using System.Collections.Concurrent;

namespace Outpost.Appliance.Tests.Infrastructure;

/// <summary>
/// What a daemon acknowledged with a 2xx under load, recorded as the replies arrive, so a crash test can check
/// every acknowledged change after a restart; <see cref="Reached"/> lets a test kill at a chosen moment.
/// </summary>
internal class Acknowledgments
{
    private readonly ConcurrentQueue<(long JobId, long ScannerId)> _claimed = new();
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;
    private int _target = int.MaxValue;

    public IEnumerable<(long JobId, long ScannerId)> Claimed => _claimed;
    public ConcurrentDictionary<long, bool> Started { get; } = new();
    public ConcurrentDictionary<long, long> Progress { get; } = new();
    public ConcurrentDictionary<long, bool> Completed { get; } = new();
    public ConcurrentDictionary<string, bool> ScannerNames { get; } = new();

    public void Claim(long jobId, long scannerId)
    {
        _claimed.Enqueue((jobId, scannerId));
        Tick();
    }

    public void Tick()
    {
        if (Interlocked.Increment(ref _count) >= Volatile.Read(ref _target))
        {
            _reached.TrySetResult();
        }
    }

    /// <summary>Completes once <paramref name="count"/> acknowledgments have been recorded.</summary>
    public Task Reached(int count)
    {
        Volatile.Write(ref _target, count);
        if (Volatile.Read(ref _count) >= count)
        {
            _reached.TrySetResult();
        }

        return _reached.Task;
    }
}
