// Runs claimed jobs to the end, for both kinds of scanner: the remote node (HTTP) and the appliance's built-in one
// (direct store calls). Everything the protocol asks of a scanner between a claim and a completion lives here once.
//
// One job is three activities. The engine probes on its own threads and hands each open port to the observer, which
// only queues it (the engine's receive thread must not wait on the network). A reporter wakes every upload interval,
// uploads what is queued in batches and, every progress interval, reports progress; a "stop" reply (or a heartbeat's
// stopJobs, or shutdown) cancels the engine. When the engine returns, the rest of the findings are uploaded, the final
// progress is sent and the job is completed.
//
// Findings are never dropped while the appliance is away: a batch leaves the runner's list only once the appliance
// accepted it, and every call is repeated with backoff until it succeeds. The one limit is shutdown: after SIGTERM the
// runner keeps trying for a grace period, then says in the log what it could not deliver. A job the appliance no
// longer considers ours (404, 409, another scanner's) is dropped at once, without a completion.
//
// Honest reports: a job stopped by an admin completes as "completed" with what it found (the scan becomes stopped);
// a job cut short by shutdown completes as "failed" saying so; an engine failure completes as "failed" with the
// reason an operator can act on ("pcap: permission denied (needs CAP_NET_RAW)").

using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Outpost.Probe.Capture;
using Outpost.Probe.Engine;
using Outpost.Probe.Routing;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Jobs;

/// <summary>How a <see cref="JobRunner"/> reports; the defaults suit both the node and the built-in scanner.</summary>
public sealed record JobRunnerOptions
{
    /// <summary>How often progress is reported (which is also how soon an admin's stop is noticed).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How often queued findings are uploaded.</summary>
    public TimeSpan UploadInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Findings per upload; 1 000 is about 70 KB of JSON, far below the appliance's 1 MiB limit.</summary>
    public int UploadBatch { get; init; } = 1000;

    /// <summary>Send on this interface instead of the routed one.</summary>
    public string? Interface { get; init; }

    /// <summary>How long replies are collected after the last probe of a job.</summary>
    public TimeSpan ReplyWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>After shutdown is requested, how long the runner still tries to deliver findings and completions.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Runs claimed jobs with the probe engine over an <see cref="IScannerProtocol"/>: start, probing at the job's rate,
/// findings uploaded in batches as they come, progress, stop handling and completion. Several jobs may run at once.
/// </summary>
public sealed partial class JobRunner(IScannerProtocol protocol, ProbeScanner engine, JobRunnerOptions options, TimeProvider time, ILogger logger)
{
    private readonly ConcurrentDictionary<long, Run> _running = new();
    private TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Jobs running now.</summary>
    public int Count => _running.Count;

    /// <summary>The ids of the jobs running now (for the heartbeat).</summary>
    public IReadOnlyList<long> RunningJobs => [.. _running.Keys];

    /// <summary>Completes when a job ends after this was read: lets a claim loop wake as soon as it has room.</summary>
    public Task JobEnded => Volatile.Read(ref _ended).Task;

    /// <summary>Starts running <paramref name="job"/>; the task ends when the job is completed or dropped. It does not throw.</summary>
    public Task Start(JobAssignment job, CancellationToken shutdown)
    {
        var run = new Run(job);
        if (!_running.TryAdd(job.JobId, run))
        {
            // A claim never hands out a job twice; if it did, the first run owns it.
            run.Dispose();
            return Task.CompletedTask;
        }

        return Task.Run(async () =>
        {
            try
            {
                await RunAsync(run, shutdown).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogCrashed(logger, ex, job.JobId);
            }
            finally
            {
                _running.TryRemove(job.JobId, out _);
                run.Dispose();
                Interlocked.Exchange(ref _ended, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }, CancellationToken.None);
    }

    /// <summary>Stops probing <paramref name="jobId"/> (an admin stopped its scan); the job then completes with what it found.</summary>
    public void RequestStop(long jobId)
    {
        if (_running.TryGetValue(jobId, out var run))
        {
            run.RequestStop();
        }
    }

    private async Task RunAsync(Run run, CancellationToken shutdown)
    {
        var job = run.Job;
        using var grace = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        using var graceOnShutdown = shutdown.Register(() => grace.CancelAfter(options.ShutdownGrace));
        var delivery = grace.Token;

        var started = await RepeatAsync(ct => protocol.StartAsync(job.JobId, ct), job.JobId, "start", delivery).ConfigureAwait(false);
        if (started is null or JobReply.Gone)
        {
            LogDropped(logger, job.JobId, "start");
            return;
        }

        LogStarted(logger, job.JobId, job.ScanId, job.Targets.Count, job.MaxProbesPerSecond);
        if (started == JobReply.Stop)
        {
            run.RequestStop();
        }

        var plan = Plan(job, out var failure);
        var totalHosts = 0UL;
        foreach (var set in plan)
        {
            totalHosts += set.HostCount;
        }

        var findings = new Findings();
        using var scanStop = CancellationTokenSource.CreateLinkedTokenSource(shutdown, run.Stopping);
        using var scanEnded = new CancellationTokenSource();
        var reporter = ReportAsync(run, findings, scanStop, scanEnded.Token);
        var finished = false;
        if (failure is null && !scanStop.IsCancellationRequested)
        {
            (finished, failure) = await ProbeAsync(job, plan, findings, scanStop.Token).ConfigureAwait(false);
        }

        await scanEnded.CancelAsync().ConfigureAwait(false);
        await reporter.ConfigureAwait(false);
        if (run.Gone)
        {
            LogDropped(logger, job.JobId, "progress");
            return;
        }

        // The rest of the findings, then the final progress, then the completion: in that order, so a completed job's
        // findings are all in when the scan rolls up.
        while (findings.HasUnsent)
        {
            var batch = findings.NextBatch(options.UploadBatch);
            var reply = await RepeatAsync(ct => protocol.UploadAsync(job.JobId, batch, ct), job.JobId, "results", delivery).ConfigureAwait(false);
            if (reply is null)
            {
                LogUndelivered(logger, job.JobId, findings.UnsentCount);
                return;
            }

            if (reply == JobReply.Gone)
            {
                LogDropped(logger, job.JobId, "results");
                return;
            }

            findings.Delivered(batch.Count);
        }

        var hosts = finished ? (long)totalHosts : findings.HostsProbed;
        var progressed = await RepeatAsync(ct => protocol.ProgressAsync(job.JobId, hosts, findings.Found, ct), job.JobId, "progress", delivery).ConfigureAwait(false);
        if (progressed is JobReply.Gone)
        {
            LogDropped(logger, job.JobId, "progress");
            return;
        }

        if (failure is null && !finished && shutdown.IsCancellationRequested && !run.StopRequested)
        {
            failure = string.Create(CultureInfo.InvariantCulture,
                $"interrupted: the scanner shut down after probing {hosts} of {totalHosts} addresses; re-run the job to finish it");
        }

        var failed = failure is not null;
        var completed = await RepeatAsync(ct => protocol.CompleteAsync(job.JobId, failed, findings.Found, failure, ct), job.JobId, "complete", delivery)
            .ConfigureAwait(false);
        if (completed is null)
        {
            LogUndelivered(logger, job.JobId, 0);
        }
        else if (failed)
        {
            LogFailed(logger, job.JobId, failure!);
        }
        else
        {
            LogCompleted(logger, job.JobId, findings.Found, hosts, run.StopRequested);
        }
    }

    /// <summary>The job's targets as engine target sets, one per distinct port list (a job normally has one).</summary>
    private static List<TargetSet> Plan(JobAssignment job, out string? failure)
    {
        failure = null;
        var sets = new List<TargetSet>();
        foreach (var group in job.Targets.GroupBy(t => t.Ports, StringComparer.Ordinal))
        {
            if (!TargetSet.TryParse(group.Select(t => t.Cidr), group.Key, out var set, out var error))
            {
                failure = "bad job targets: " + error;
                return [];
            }

            sets.Add(set!);
        }

        if (sets.Count == 0)
        {
            failure = "bad job targets: the job has none";
        }

        return sets;
    }

    /// <summary>Runs the engine over each target set; returns whether every probe was sent, or why the job failed.</summary>
    private async Task<(bool Finished, string? Failure)> ProbeAsync(JobAssignment job, List<TargetSet> plan, Findings findings, CancellationToken stop)
    {
        var observer = new Observer(findings, job.JobId, logger);
        foreach (var set in plan)
        {
            var request = new ScanRequest(set)
            {
                ProbesPerSecond = job.MaxProbesPerSecond,
                Interface = options.Interface,
                Wait = options.ReplyWait,
            };
            findings.BeginSet(set.Ports.Count);
            try
            {
                var summary = await engine.RunAsync(request, observer, stop).ConfigureAwait(false);
                if (summary.Cancelled)
                {
                    return (false, null);
                }

                findings.EndSet(set.HostCount);
            }
            catch (PacketDeviceException ex) when (ex.PermissionDenied)
            {
                return (false, "pcap: permission denied (needs CAP_NET_RAW): " + ex.Message);
            }
            catch (PacketDeviceException ex)
            {
                return (false, "pcap: " + ex.Message);
            }
            catch (RouteException ex)
            {
                return (false, "route: " + ex.Message);
            }
            catch (ArgumentException ex)
            {
                return (false, "bad job: " + ex.Message);
            }
        }

        return (true, null);
    }

    /// <summary>While the engine runs: uploads queued findings every upload interval, reports progress every progress interval.</summary>
    private async Task ReportAsync(Run run, Findings findings, CancellationTokenSource scanStop, CancellationToken scanEnded)
    {
        var job = run.Job;
        var backoff = Backoff.ForAppliance();
        var retryAt = 0L;
        var progressAt = time.GetTimestamp();
        using var timer = new PeriodicTimer(options.UploadInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(scanEnded).ConfigureAwait(false))
            {
                if (run.Gone)
                {
                    break;
                }

                if (time.GetTimestamp() < retryAt)
                {
                    continue;
                }

                try
                {
                    var reply = JobReply.Ok;
                    if (findings.HasUnsent)
                    {
                        var batch = findings.NextBatch(options.UploadBatch);
                        reply = await protocol.UploadAsync(job.JobId, batch, scanEnded).ConfigureAwait(false);
                        if (reply != JobReply.Gone)
                        {
                            findings.Delivered(batch.Count);
                        }
                    }

                    if (reply != JobReply.Gone && time.GetElapsedTime(progressAt) >= options.ProgressInterval)
                    {
                        progressAt = time.GetTimestamp();
                        reply = await protocol.ProgressAsync(job.JobId, findings.HostsProbed, findings.Found, scanEnded).ConfigureAwait(false);
                    }

                    backoff.Reset();
                    if (reply == JobReply.Gone)
                    {
                        run.MarkGone();
                    }

                    if (reply != JobReply.Ok)
                    {
                        run.RequestStop();
                    }
                }
                catch (ScannerProtocolException ex) when (ex.Transient)
                {
                    var delay = backoff.Next();
                    retryAt = time.GetTimestamp() + (long)(delay.TotalSeconds * time.TimestampFrequency);
                    LogRetrying(logger, job.JobId, "report", ex.Message, delay.TotalSeconds);
                }
                catch (ScannerProtocolException ex)
                {
                    LogRefused(logger, job.JobId, "report", ex.Message);
                    run.MarkGone();
                    run.RequestStop();
                }
            }
        }
        catch (OperationCanceledException) when (scanEnded.IsCancellationRequested)
        {
            // The engine is done: the final delivery takes over.
        }
        finally
        {
            if (run.Gone)
            {
                await scanStop.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Repeats <paramref name="call"/> with backoff while the appliance is unreachable. Returns its reply, or null
    /// when <paramref name="ct"/> ends first (the shutdown grace ran out) or the appliance refused the call for good.
    /// </summary>
    private async Task<JobReply?> RepeatAsync(Func<CancellationToken, ValueTask<JobReply>> call, long jobId, string what, CancellationToken ct)
    {
        var backoff = Backoff.ForAppliance();
        while (true)
        {
            try
            {
                return await call(ct).ConfigureAwait(false);
            }
            catch (ScannerProtocolException ex) when (ex.Transient)
            {
                var delay = backoff.Next();
                LogRetrying(logger, jobId, what, ex.Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
            catch (ScannerProtocolException ex)
            {
                LogRefused(logger, jobId, what, ex.Message);
                return JobReply.Gone;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return null;
            }
        }
    }

    /// <summary>One running job: its spec and how it is being stopped.</summary>
    private sealed class Run(JobAssignment job) : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private volatile bool _gone;
        private volatile bool _stopRequested;

        public JobAssignment Job { get; } = job;

        public CancellationToken Stopping => _stop.Token;

        public bool StopRequested => _stopRequested;

        public bool Gone => _gone;

        public void RequestStop()
        {
            _stopRequested = true;
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The job ended meanwhile.
            }
        }

        public void MarkGone() => _gone = true;

        public void Dispose() => _stop.Dispose();
    }

    /// <summary>
    /// A job's findings on their way to the appliance. The engine's receive thread adds (a lock-free enqueue); the
    /// reporter, and after it the final delivery, take batches — one consumer at a time, so the unsent list needs no lock.
    /// </summary>
    private sealed class Findings
    {
        private readonly ConcurrentQueue<ScanResult> _queue = new();
        private readonly List<ScanResult> _unsent = [];
        private long _found;
        private long _probesSent;
        private long _hostsDone;
        private int _ports = 1;

        public long Found => Interlocked.Read(ref _found);

        /// <summary>Addresses probed so far: finished target sets plus the current one's probes over its ports.</summary>
        public long HostsProbed => Interlocked.Read(ref _hostsDone) + (Interlocked.Read(ref _probesSent) / Volatile.Read(ref _ports));

        public bool HasUnsent => _unsent.Count > 0 || !_queue.IsEmpty;

        public int UnsentCount => _unsent.Count + _queue.Count;

        public void Add(in ScanResult result)
        {
            _queue.Enqueue(result);
            Interlocked.Increment(ref _found);
        }

        public void Progress(long probesSent) => Interlocked.Exchange(ref _probesSent, probesSent);

        public void BeginSet(int ports)
        {
            Interlocked.Exchange(ref _probesSent, 0);
            Volatile.Write(ref _ports, Math.Max(1, ports));
        }

        public void EndSet(ulong hosts)
        {
            Interlocked.Exchange(ref _probesSent, 0);
            Interlocked.Add(ref _hostsDone, (long)hosts);
        }

        /// <summary>The oldest unsent findings, at most <paramref name="max"/>; they stay unsent until <see cref="Delivered"/>.</summary>
        public List<ScanResult> NextBatch(int max)
        {
            while (_unsent.Count < max && _queue.TryDequeue(out var result))
            {
                _unsent.Add(result);
            }

            return _unsent.GetRange(0, Math.Min(max, _unsent.Count));
        }

        public void Delivered(int count) => _unsent.RemoveRange(0, count);
    }

    /// <summary>The engine's observer: open ports are queued for upload, closed ones are not reported (findings are open ports).</summary>
    private sealed class Observer(Findings findings, long jobId, ILogger logger) : IScanObserver
    {
        public void OnResult(in ScanResult result)
        {
            if (result.State == PortState.Open)
            {
                findings.Add(result);
            }
        }

        public void OnProgress(in ScanProgress progress) => findings.Progress(progress.ProbesSent);

        public void OnWarning(string message) => LogWarning(logger, jobId, message);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} (scan {ScanId}): started, {Targets} target blocks at {Rate} probes/s")]
    private static partial void LogStarted(ILogger logger, long jobId, long scanId, int targets, int rate);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: completed, {Found} open ports on {Hosts} addresses probed (stopped by the appliance: {Stopped})")]
    private static partial void LogCompleted(ILogger logger, long jobId, long found, long hosts, bool stopped);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId}: failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, long jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: the appliance no longer assigns it to this scanner (at {Step}); dropped")]
    private static partial void LogDropped(ILogger logger, long jobId, string step);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: {Step} failed ({Reason}); retrying in {Seconds:0.0} s")]
    private static partial void LogRetrying(ILogger logger, long jobId, string step, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId}: the appliance refused {Step}: {Reason}")]
    private static partial void LogRefused(ILogger logger, long jobId, string step, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId}: shutting down before the appliance took the report; {Unsent} findings were not delivered")]
    private static partial void LogUndelivered(ILogger logger, long jobId, int unsent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: {Message}")]
    private static partial void LogWarning(ILogger logger, long jobId, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId}: the runner failed unexpectedly")]
    private static partial void LogCrashed(ILogger logger, Exception exception, long jobId);
}
