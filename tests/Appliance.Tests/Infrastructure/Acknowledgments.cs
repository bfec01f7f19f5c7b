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

    /// <summary>
    /// One scanner working the lifecycle over HTTP until its queue is empty, or <paramref name="ct"/> ends it: claim
    /// two, then start, two progress reports and complete each, recording every 2xx as it arrives.
    /// <paramref name="completed"/> runs after each acknowledged completion. A request cut by a killed daemon throws
    /// <see cref="HttpRequestException"/>: that request was never acknowledged, and callers decide what it means.
    /// </summary>
    public async Task WorkAsync(Api api, long scannerId, string key, Action? completed = null, CancellationToken ct = default)
    {
        var post = HttpMethod.Post;
        while (!ct.IsCancellationRequested)
        {
            var jobs = Api.JobIds(await api.ClaimAsync(key, "2"));
            if (jobs.Length == 0)
            {
                return;
            }

            foreach (var jobId in jobs)
            {
                Claim(jobId, scannerId);
            }

            foreach (var jobId in jobs)
            {
                (await api.ScannerAsync(key, post, $"/scanner/jobs/{jobId}/start")).AssertOk();
                Started[jobId] = true;
                Tick();
                for (var p = 1; p <= 2; p++)
                {
                    (await api.ScannerAsync(key, post, $"/scanner/jobs/{jobId}/progress", new { progressCount = p * 100, resultCount = p })).AssertOk();
                    Progress[jobId] = p * 100;
                    Tick();
                }

                (await api.ScannerAsync(key, post, $"/scanner/jobs/{jobId}/complete", new { status = "completed", resultCount = 2 })).AssertOk();
                Completed[jobId] = true;
                completed?.Invoke();
                Tick();
            }
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
