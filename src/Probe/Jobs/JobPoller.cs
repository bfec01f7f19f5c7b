namespace Outpost.Probe.Jobs;

/// <summary>
/// One poll of a scanner (docs/protocol.md), the step the remote node (<c>ScannerNode</c>) and the appliance's built-in
/// scanner (<c>LocalScanner</c>) share: heartbeat with the running job ids when one is due and stop what the reply
/// lists, then claim as many jobs as there is room for and start each on the <see cref="JobRunner"/>. When to poll,
/// what to do when the protocol fails, and what to log stay with the caller (the two hooks are for its logging).
/// </summary>
public sealed class JobPoller(IScannerProtocol protocol, JobRunner runner, int claimLimit, TimeSpan heartbeatInterval, TimeProvider time,
    Action<long>? stopRequested = null, Action<JobAssignment>? claimed = null)
{
    private readonly List<Task> _jobs = [];
    private long? _heartbeatAt;

    /// <summary>Heartbeat if <c>heartbeatInterval</c> has passed since the last one (zero: every poll), then claim and start.</summary>
    public async ValueTask PollAsync(CancellationToken ct)
    {
        if (_heartbeatAt is not { } last || time.GetElapsedTime(last) >= heartbeatInterval)
        {
            foreach (var jobId in await protocol.HeartbeatAsync(runner.RunningJobs, runner.Capabilities.Available(), ct).ConfigureAwait(false))
            {
                stopRequested?.Invoke(jobId);
                runner.RequestStop(jobId);
            }

            _heartbeatAt = time.GetTimestamp();
        }

        _jobs.RemoveAll(t => t.IsCompleted);
        var room = claimLimit - runner.Count;
        if (room > 0)
        {
            foreach (var job in await protocol.ClaimAsync(room, ct).ConfigureAwait(false))
            {
                claimed?.Invoke(job);
                _jobs.Add(runner.Start(job, ct));
            }
        }
    }

    /// <summary>Completes when every job this poller started has reported and completed.</summary>
    public Task DrainAsync() => Task.WhenAll(_jobs);
}
