using System.Diagnostics;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// Drives the durable job lifecycle — claim, start, progress, complete — against a backend, with a number of
/// workers (simulated scanners), each keeping <c>inFlight</c> lifecycles going at once the way a scanner runs many
/// jobs in parallel. Every operation is awaited until the backend acknowledges it durably.
/// </summary>
internal sealed class LifecycleLoad(ILifecycleBackend backend, int workers, int inFlight, TimeSpan duration)
{
    public async Task<LoadResult> RunAsync()
    {
        var recorders = new List<LatencyRecorder>();
        long jobs = 0, claims = 0;
        using var stop = new CancellationTokenSource(duration);
        var clock = Stopwatch.StartNew();
        var tasks = new List<Task>();
        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            for (var lane = 0; lane < inFlight; lane++)
            {
                var latencies = new LatencyRecorder();
                recorders.Add(latencies);
                tasks.Add(Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var started = Stopwatch.GetTimestamp();
                        var jobId = await backend.ClaimOneAsync(worker);
                        latencies.Add(Operation.Claim, started);
                        if (jobId is not { } id) return; // the queue ran dry: the preload was too small
                        Interlocked.Increment(ref claims);
                        started = Stopwatch.GetTimestamp();
                        await backend.StartAsync(worker, id);
                        latencies.Add(Operation.Start, started);
                        started = Stopwatch.GetTimestamp();
                        await backend.ProgressAsync(worker, id, 100, 3);
                        latencies.Add(Operation.Progress, started);
                        started = Stopwatch.GetTimestamp();
                        await backend.CompleteAsync(worker, id);
                        latencies.Add(Operation.Complete, started);
                        Interlocked.Increment(ref jobs);
                    }
                }));
            }
        }
        await Task.WhenAll(tasks);
        var seconds = clock.Elapsed.TotalSeconds;
        return new LoadResult(jobs / seconds, claims / seconds, LatencyRecorder.Merge(recorders));
    }
}

internal sealed record LoadResult(double JobsPerSecond, double ClaimsPerSecond, LatencyRecorder Latencies);

internal enum Operation { Claim, Start, Progress, Complete }

/// <summary>What the lifecycle load needs of a backend; one worker is one scanner.</summary>
internal interface ILifecycleBackend : IAsyncDisposable
{
    /// <summary>Creates the scanners and preloads <paramref name="jobsPerWorker"/> queued jobs for each.</summary>
    Task PrepareAsync(int workers, int jobsPerWorker);

    Task<long?> ClaimOneAsync(int worker);

    Task StartAsync(int worker, long jobId);

    Task ProgressAsync(int worker, long jobId, long progress, long results);

    Task CompleteAsync(int worker, long jobId);
}
