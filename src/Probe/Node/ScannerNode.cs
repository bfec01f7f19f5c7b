using Microsoft.Extensions.Logging;
using Outpost.Probe.Jobs;
using Outpost.Probe.Systemd;

namespace Outpost.Probe.Node;

/// <summary>
/// The remote scanner node's loop (docs/protocol.md): each round is a <see cref="JobPoller"/> poll (heartbeat every
/// <see cref="HeartbeatInterval"/>, stops, claims), and the node asks again after the poll interval or as soon as a job ends.
///
/// The node outlives the appliance: while it is down or restarting every call fails, the loop backs off (exponential,
/// with jitter) and carries on when it answers again; running jobs keep probing and keep their findings meanwhile. A
/// refused key is logged as an error on every attempt, at the backoff's pace, never in a tight loop. Shutdown
/// (SIGTERM) cancels the token: no new claims, running jobs stop probing, report what they found and complete.
/// </summary>
public sealed partial class ScannerNode(IScannerProtocol protocol, JobRunner runner, NodeSettings settings, TimeProvider time, ILogger logger,
    SystemdWatchdog systemd)
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(30);

    public async Task RunAsync(CancellationToken shutdown)
    {
        LogStarting(logger, settings);
        // Under systemd (Type=notify) the host reports the node ready once this loop runs — the appliance may well be
        // down, and waiting for it is the node's job. The watchdog is petted from the loop, which never sleeps longer
        // than the ping period, so a backoff during an outage does not get the node killed.
        var watchdog = systemd.Period;
        long? pettedAt = null;
        var backoff = Backoff.ForAppliance();
        var poller = new JobPoller(protocol, runner, settings.ClaimLimit, HeartbeatInterval, time,
            jobId => LogStopRequested(logger, jobId), job => LogClaimed(logger, job.JobId, job.ScanId));
        var outage = false;
        while (!shutdown.IsCancellationRequested)
        {
            if (watchdog is { } period && (pettedAt is not { } petted || time.GetElapsedTime(petted) >= period))
            {
                systemd.Ping();
                pettedAt = time.GetTimestamp();
            }

            var wait = settings.PollInterval;
            try
            {
                await poller.PollAsync(shutdown).ConfigureAwait(false);
                if (outage)
                {
                    LogReconnected(logger, backoff.Failures);
                    outage = false;
                }

                backoff.Reset();
            }
            catch (ScannerProtocolException ex)
            {
                outage = true;
                wait = backoff.Next();
                if (ex.CredentialsRefused)
                {
                    LogRefused(logger, ex.Message, wait.TotalSeconds);
                }
                else
                {
                    LogUnreachable(logger, ex.Message, wait.TotalSeconds);
                }
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                break;
            }

            if (watchdog is { } ping && wait > ping) wait = ping;
            var ended = runner.JobEnded;
            using var delay = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
            await Task.WhenAny(Task.Delay(wait, time, delay.Token), ended).ConfigureAwait(false);
            await delay.CancelAsync().ConfigureAwait(false);
        }

        LogStopping(logger, runner.Count);
        await poller.DrainAsync().ConfigureAwait(false);
        LogStopped(logger);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "node starting: {Settings}")]
    private static partial void LogStarting(ILogger logger, NodeSettings settings);

    [LoggerMessage(Level = LogLevel.Information, Message = "claimed job {JobId} of scan {ScanId}")]
    private static partial void LogClaimed(ILogger logger, long jobId, long scanId);

    [LoggerMessage(Level = LogLevel.Information, Message = "the appliance asked to stop job {JobId}")]
    private static partial void LogStopRequested(ILogger logger, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reason}; retrying in {Seconds:0.0} s")]
    private static partial void LogUnreachable(ILogger logger, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Reason}; retrying in {Seconds:0.0} s")]
    private static partial void LogRefused(ILogger logger, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "the appliance answers again (after {Failures} failed attempts)")]
    private static partial void LogReconnected(ILogger logger, int failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "shutting down: waiting for {Running} running jobs to report")]
    private static partial void LogStopping(ILogger logger, int running);

    [LoggerMessage(Level = LogLevel.Information, Message = "node stopped")]
    private static partial void LogStopped(ILogger logger);
}
