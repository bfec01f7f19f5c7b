// Runs claimed jobs to the end, for both kinds of scanner: the remote node (HTTP) and the appliance's built-in one
// (direct store calls). Everything the protocol asks of a scanner between a claim and a completion lives here once;
// what a job does is its capability's business (docs/capabilities.md), found by the job's name in the registry.
//
// One job is three activities. The capability works on its own threads (the probe engine's, or its connections) and
// hands each finding to the report, which only queues it (the engine's receive thread must not wait on the network).
// A reporter wakes every upload interval, uploads what is queued in batches and, every progress interval, reports
// progress; a "stop" reply (or a heartbeat's stopJobs, or shutdown) cancels the capability. When it returns, the
// rest of the findings are uploaded, the final progress is sent and the job is completed. A job whose name this
// scanner has no capability for (the claim should never hand one out) fails saying so.
//
// Findings are never dropped while the appliance is away: a batch leaves the runner's list only once the appliance
// accepted it, and every call is repeated with backoff until it succeeds. The one limit is shutdown: after SIGTERM the
// runner keeps trying for a grace period, then says in the log what it could not deliver. A job the appliance no
// longer considers ours (404, 409, another scanner's) is dropped at once, without a completion.
//
// The scanner protects itself before it works (docs/probe-engine.md, "What the node refuses"): a job naming a target
// the scanner never probes fails saying which and why; a job's rate is held to the scanner's ceiling and a job without
// a rate gets the scanner's default; the job's do-not-scan list is put in force, and a progress reply that carries an
// edited list replaces it for the rest of the walk.
//
// Honest reports: a job stopped by an admin completes as "completed" with what it found (the scan becomes stopped);
// a job cut short by shutdown completes as "failed" saying so; an engine failure completes as "failed" with the
// reason an operator can act on ("pcap: permission denied (needs CAP_NET_RAW)").

using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Engine;
using Outpost.Probe.Guard;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Jobs;

/// <summary>How a <see cref="JobRunner"/> reports; the defaults suit both the node and the built-in scanner.</summary>
public sealed record JobRunnerOptions
{
    /// <summary>How often progress is reported (which is also how soon an admin's stop is noticed).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How often queued findings are uploaded.</summary>
    public TimeSpan UploadInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Open ports per upload; 1 000 is about 70 KB of JSON, far below the appliance's 1 MiB limit.</summary>
    public int UploadBatch { get; init; } = 1000;

    /// <summary>Services or pages per upload: a page with its forms is larger than an open port.</summary>
    public int TypedUploadBatch { get; init; } = 100;

    /// <summary>After shutdown is requested, how long the runner still tries to deliver findings and completions.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>What the scanner holds every job to, whatever the appliance asks: refused targets, rate ceiling, default rate.</summary>
    public JobGuard Guard { get; init; } = new();
}

/// <summary>
/// Runs claimed jobs with their capability over an <see cref="IScannerProtocol"/>: start, work at the job's rate,
/// findings uploaded in batches as they come, progress, stop handling and completion. Several jobs may run at once.
/// </summary>
public sealed partial class JobRunner(IScannerProtocol protocol, CapabilityRegistry capabilities, JobRunnerOptions options, TimeProvider time,
    ILogger logger)
{
    private readonly ConcurrentDictionary<long, Run> _running = new();
    private TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What this runner can run (the heartbeat advertises its available part).</summary>
    public CapabilityRegistry Capabilities => capabilities;

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
        var refusal = options.Guard.Refusal(job);
        if (!ExclusionSet.TryParse(job.Exclude, out var exclude, out var excludeError))
        {
            refusal ??= "bad job: its do-not-scan list cannot be read: " + excludeError;
        }

        job = job with { MaxProbesPerSecond = options.Guard.RateFor(job.MaxProbesPerSecond), Exclusions = run.Exclusions };
        run.Exclusions.Replace(exclude ?? ExclusionSet.Empty);
        using var grace = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        using var graceOnShutdown = shutdown.Register(() => grace.CancelAfter(options.ShutdownGrace));
        var delivery = grace.Token;

        var started = await RepeatAsync(ct => protocol.StartAsync(job.JobId, ct), job.JobId, "start", delivery).ConfigureAwait(false);
        if (started is null or JobReply.Gone)
        {
            LogDropped(logger, job.JobId, "start");
            return;
        }

        LogStarted(logger, job.JobId, job.ScanId, job.Name, job.Targets.Count, job.MaxProbesPerSecond, job.ResumeFrom);
        if (started == JobReply.Stop)
        {
            run.RequestStop();
        }

        var findings = new Report(options, logger, job.JobId, job.ResumeFrom);
        using var scanStop = CancellationTokenSource.CreateLinkedTokenSource(shutdown, run.Stopping);
        using var scanEnded = new CancellationTokenSource();
        var reporter = ReportAsync(run, findings, scanStop, scanEnded.Token);
        var outcome = new CapabilityOutcome(false, null, 0);
        if (refusal is not null)
        {
            outcome = CapabilityOutcome.Failed(refusal);
        }
        else if (capabilities.Find(job.Name) is not { } capability)
        {
            outcome = CapabilityOutcome.Failed($"this scanner cannot run {job.Name} jobs (it runs {string.Join(", ", capabilities.All.Select(c => c.Name))})");
        }
        else if (capability.Unavailable is { } unavailable)
        {
            outcome = CapabilityOutcome.Failed($"{job.Name} cannot run on this scanner: {unavailable}");
        }
        else if (!scanStop.IsCancellationRequested)
        {
            outcome = await capability.RunAsync(job, findings, scanStop.Token).ConfigureAwait(false);
        }

        var (finished, failure, total) = outcome;
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
            var reply = await RepeatAsync(ct => findings.UploadNextAsync(protocol, job.JobId, ct), job.JobId, "results", delivery).ConfigureAwait(false);
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
        }

        var hosts = finished ? total : findings.Done;
        var progressed = await RepeatAsync(async ct => (await protocol.ProgressAsync(job.JobId, hosts, findings.Found, findings.SentBelow, ct).ConfigureAwait(false)).Reply,
            job.JobId, "progress", delivery).ConfigureAwait(false);
        if (progressed is JobReply.Gone)
        {
            LogDropped(logger, job.JobId, "progress");
            return;
        }

        if (failure is null && !finished && shutdown.IsCancellationRequested && !run.StopRequested)
        {
            failure = string.Create(CultureInfo.InvariantCulture,
                $"interrupted: the scanner shut down after {hosts} of {total} targets of this {job.Name} job; re-run the job to finish it");
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

    /// <summary>While the capability runs: uploads queued findings every upload interval, reports progress every progress interval.</summary>
    private async Task ReportAsync(Run run, Report findings, CancellationTokenSource scanStop, CancellationToken scanEnded)
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
                        reply = await findings.UploadNextAsync(protocol, job.JobId, scanEnded).ConfigureAwait(false);
                    }

                    if (reply != JobReply.Gone && time.GetElapsedTime(progressAt) >= options.ProgressInterval)
                    {
                        progressAt = time.GetTimestamp();
                        var progressed = await protocol.ProgressAsync(job.JobId, findings.Done, findings.Found, findings.SentBelow, scanEnded).ConfigureAwait(false);
                        reply = progressed.Reply;
                        if (progressed.Exclude is { } edited)
                        {
                            ApplyExclusions(run, edited);
                        }
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
            // The capability is done: the final delivery takes over.
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
    /// Puts an edited do-not-scan list in force for the rest of the job's walk. A list that cannot be read is not
    /// applied; the job stops rather than probe what the admin may have meant to exclude.
    /// </summary>
    private void ApplyExclusions(Run run, IReadOnlyList<string> entries)
    {
        if (ExclusionSet.TryParse(entries, out var edited, out var error))
        {
            if (!SameEntries(run.Exclusions.Current.Entries, edited!.Entries))
            {
                run.Exclusions.Replace(edited);
                LogExclusionsEdited(logger, run.Job.JobId, edited.Entries.Count);
            }

            return;
        }

        LogRefused(logger, run.Job.JobId, "exclusions", error!);
        run.RequestStop();
    }

    private static bool SameEntries(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!string.Equals(a[i], b[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
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

        /// <summary>The job's do-not-scan list, as the engine reads it.</summary>
        public LiveExclusions Exclusions { get; } = new(ExclusionSet.Empty);

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
    /// A job's findings on their way to the appliance. The capability adds from any thread (a lock-free enqueue); the
    /// reporter, and after it the final delivery, upload batches — one consumer at a time, so the unsent lists need no
    /// lock. Open ports go first, then typed results in batches of one kind (screenshots one at a time: each is an
    /// upload of its own). A batch leaves its list only once the appliance accepted it.
    /// </summary>
    private sealed class Report(JobRunnerOptions options, ILogger logger, long jobId, long jobResumeFrom) : IJobReport
    {
        private readonly ConcurrentQueue<ScanResult> _ports = new();
        private readonly List<ScanResult> _unsentPorts = [];
        private readonly ConcurrentQueue<CapabilityResult> _typed = new();
        private readonly List<CapabilityResult> _unsentTyped = [];
        private long _found;
        private long _done;
        private long _sentBelow = jobResumeFrom;

        public long Found => Interlocked.Read(ref _found);

        public long Done => Interlocked.Read(ref _done);

        /// <summary>The cursor to report: where this run got to, or where it started (a findings-only run keeps the stored one).</summary>
        public long SentBelow => Interlocked.Read(ref _sentBelow);

        public bool HasUnsent => _unsentPorts.Count > 0 || !_ports.IsEmpty || _unsentTyped.Count > 0 || !_typed.IsEmpty;

        public int UnsentCount => _unsentPorts.Count + _ports.Count + _unsentTyped.Count + _typed.Count;

        public void OpenPort(in ScanResult result)
        {
            _ports.Enqueue(result);
            Interlocked.Increment(ref _found);
        }

        public void Add(CapabilityResult result)
        {
            _typed.Enqueue(result);
            Interlocked.Increment(ref _found);
        }

        public void Progress(long done) => RaiseTo(ref _done, done);

        public void Cursor(long sentBelow) => RaiseTo(ref _sentBelow, sentBelow);

        // Never backwards: a late progress callback must not undo a later one.
        private static void RaiseTo(ref long field, long value)
        {
            var seen = Interlocked.Read(ref field);
            while (value > seen)
            {
                var was = Interlocked.CompareExchange(ref field, value, seen);
                if (was == seen)
                {
                    return;
                }

                seen = was;
            }
        }

        public void Warning(string message) => LogWarning(logger, jobId, message);

        /// <summary>Uploads the oldest unsent batch; it stays unsent unless the appliance took it.</summary>
        public async ValueTask<JobReply> UploadNextAsync(IScannerProtocol protocol, long jobId, CancellationToken ct)
        {
            while (_unsentPorts.Count < options.UploadBatch && _ports.TryDequeue(out var port))
            {
                _unsentPorts.Add(port);
            }

            if (_unsentPorts.Count > 0)
            {
                var ports = _unsentPorts.GetRange(0, Math.Min(options.UploadBatch, _unsentPorts.Count));
                var reply = await protocol.UploadAsync(jobId, ports, ct).ConfigureAwait(false);
                if (reply != JobReply.Gone)
                {
                    _unsentPorts.RemoveRange(0, ports.Count);
                }

                return reply;
            }

            while (_unsentTyped.Count < options.TypedUploadBatch && _typed.TryDequeue(out var result))
            {
                _unsentTyped.Add(result);
            }

            if (_unsentTyped.Count == 0)
            {
                return JobReply.Ok;
            }

            var kind = _unsentTyped[0].GetType();
            var count = 1;
            while (kind != typeof(ServiceScreenshot) && count < _unsentTyped.Count && _unsentTyped[count].GetType() == kind)
            {
                count++;
            }

            var batch = _unsentTyped.GetRange(0, count);
            var typedReply = await protocol.UploadAsync(jobId, batch, ct).ConfigureAwait(false);
            if (typedReply != JobReply.Gone)
            {
                _unsentTyped.RemoveRange(0, count);
            }

            return typedReply;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId} (scan {ScanId}): {Name} started, {Targets} target blocks at {Rate} probes/s, from position {ResumeFrom}")]
    private static partial void LogStarted(ILogger logger, long jobId, long scanId, string name, int targets, int rate, long resumeFrom);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: completed, {Found} findings on {Hosts} targets (stopped by the appliance: {Stopped})")]
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

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: the do-not-scan list was edited; {Entries} entries apply from the next probe")]
    private static partial void LogExclusionsEdited(ILogger logger, long jobId, int entries);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId}: the runner failed unexpectedly")]
    private static partial void LogCrashed(ILogger logger, Exception exception, long jobId);
}
