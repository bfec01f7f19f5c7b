using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Portscan;
using Outpost.Probe.Capture;
using Outpost.Probe.Engine;
using Outpost.Probe.Jobs;
using Outpost.Probe.Packets;
using Outpost.Probe.Routing;
using Outpost.Probe.Throttle;

namespace Outpost.Probe.Tests.Jobs;

/// <summary>
/// The shared job runner against a protocol that misbehaves on purpose and the engine's in-memory network (no packets,
/// no privileges): what the end-to-end tests cannot force at an exact moment.
/// </summary>
public sealed class JobRunnerTests
{
    internal static readonly Route Route = new("sim0", new Ipv4H(0x0A4D0001), new MacAddress(1), new MacAddress(2), null, false);

    internal static readonly JobRunnerOptions Fast = new() { UploadInterval = TimeSpan.FromMilliseconds(20), ProgressInterval = TimeSpan.FromMilliseconds(50) };

    [Fact]
    public async Task Findings_outlive_an_outage_and_all_arrive_before_the_completion()
    {
        // 16 hosts × ports 1-200, open on 22 and 80: 32 findings. The first six uploads fail as if the appliance were down.
        var protocol = new FlakyProtocol(failUploads: 6);
        var network = new SimulatedNetworkDevice((_, port) => port.Value is 22 or 80 ? SimulatedAnswer.Open : SimulatedAnswer.Closed);
        var runner = new JobRunner(protocol, Capabilities(network), Fast,
            TimeProvider.System, NullLogger.Instance);

        await runner.Start(new JobAssignment(7, 1, "portscan", [new JobTargetSpec("10.0.0.0/28", "1-200")], 20_000), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(32, protocol.Delivered.Distinct().Count());
        Assert.All(protocol.Delivered, f => Assert.True(f.Port.Value is 22 or 80));
        var complete = Assert.Single(protocol.Calls, c => c.StartsWith("complete", StringComparison.Ordinal));
        Assert.Equal("complete completed 32 ", complete);
        Assert.Equal(complete, protocol.Calls[^1]);
        Assert.Equal("progress 16 32", protocol.Calls[^2]);
        Assert.Equal(0, runner.Count);
    }

    [Fact]
    public async Task A_stop_in_a_progress_reply_ends_the_probing_and_completes_with_what_was_found()
    {
        var protocol = new FlakyProtocol(failUploads: 0) { StopOnProgress = true };
        var network = new SimulatedNetworkDevice((_, port) => port.Value == 1 ? SimulatedAnswer.Open : SimulatedAnswer.Silent);
        var runner = new JobRunner(protocol, Capabilities(network), Fast,
            TimeProvider.System, NullLogger.Instance);

        // 256 hosts × 60 000 ports at 10 000 probes/s would take 25 minutes; the stop must end it at once.
        await runner.Start(new JobAssignment(8, 1, "portscan", [new JobTargetSpec("10.0.0.0/24", "1-60000")], 10_000), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("complete completed", protocol.Calls[^1], StringComparison.Ordinal);
        Assert.True(network.SentFrames < 256L * 60_000 / 10, $"{network.SentFrames} probes sent after the stop");
    }

    [Fact]
    public async Task A_job_the_appliance_disowns_is_dropped_without_a_completion()
    {
        var protocol = new FlakyProtocol(failUploads: 0) { GoneOnStart = true };
        var network = new SimulatedNetworkDevice((_, _) => SimulatedAnswer.Open);
        var runner = new JobRunner(protocol, Capabilities(network), Fast,
            TimeProvider.System, NullLogger.Instance);

        await runner.Start(new JobAssignment(9, 1, "portscan", [new JobTargetSpec("10.0.0.1", "1-10")], 1000), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["start"], protocol.Calls);
        Assert.Equal(0, network.SentFrames);
    }

    [Fact]
    public async Task A_job_whose_lease_healed_elsewhere_stops_probing_at_the_409_and_is_dropped_without_a_completion()
    {
        // The appliance re-queued the job (a lost lease): its progress answers 409, which the protocol reports as gone.
        var protocol = new FlakyProtocol(failUploads: 0) { GoneOnProgress = true };
        var network = new SimulatedNetworkDevice((_, _) => SimulatedAnswer.Silent);
        var runner = new JobRunner(protocol, Capabilities(network), Fast,
            TimeProvider.System, NullLogger.Instance);

        // 256 hosts × 60 000 ports at 10 000 probes/s would take 25 minutes; the 409 must end it at once.
        await runner.Start(new JobAssignment(10, 1, "portscan", [new JobTargetSpec("10.0.0.0/24", "1-60000")], 10_000), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.DoesNotContain(protocol.Calls, c => c.StartsWith("complete", StringComparison.Ordinal));
        Assert.StartsWith("progress", protocol.Calls[^1], StringComparison.Ordinal);
        Assert.True(network.SentFrames < 256L * 60_000 / 10, $"{network.SentFrames} probes sent after the 409");
        Assert.Equal(0, runner.Count);
    }

    /// <summary>The registry with the port scan on the in-memory network, answering 50 ms after the last probe.</summary>
    internal static CapabilityRegistry Capabilities(SimulatedNetworkDevice network) => CapabilityRegistry.Create(new CapabilitySettings
    {
        Engine = new ProbeScanner(network, new FixedRouteResolver(Route), TimeProvider.System, SystemSleeper.Instance),
        Portscan = new PortscanOptions { ReplyWait = TimeSpan.FromMilliseconds(50) },
    });

    /// <summary>Records every call; fails the first uploads transiently, and can answer stop or gone.</summary>
    internal sealed class FlakyProtocol(int failUploads) : IScannerProtocol
    {
        private int _failUploads = failUploads;

        public bool StopOnProgress { get; init; }

        public bool GoneOnStart { get; init; }

        public bool GoneOnProgress { get; init; }

        public ConcurrentQueue<ScanResult> DeliveredQueue { get; } = new();

        public IReadOnlyList<ScanResult> Delivered => [.. DeliveredQueue];

        public List<string> Calls { get; } = [];

        public ValueTask<IReadOnlyList<JobAssignment>> ClaimAsync(int limit, CancellationToken ct) => throw new NotSupportedException();

        public ValueTask<IReadOnlyList<long>> HeartbeatAsync(IReadOnlyList<long> runningJobs, IReadOnlyList<ICapability> capabilities, CancellationToken ct) =>
            throw new NotSupportedException();

        public ValueTask<JobReply> UploadAsync(long jobId, IReadOnlyList<CapabilityResult> results, CancellationToken ct) => throw new NotSupportedException();

        public ValueTask<JobReply> StartAsync(long jobId, CancellationToken ct) => Record("start", GoneOnStart ? JobReply.Gone : JobReply.Ok);

        /// <summary>Called on each progress report; what it returns is the reply's do-not-scan list (null: none sent).</summary>
        public Func<IReadOnlyList<string>?>? ExcludeOnProgress { get; init; }

        public async ValueTask<ProgressReply> ProgressAsync(long jobId, long progressCount, long resultCount, long cursor, CancellationToken ct) =>
            new(await Record($"progress {progressCount} {resultCount}", GoneOnProgress ? JobReply.Gone : StopOnProgress ? JobReply.Stop : JobReply.Ok),
                ExcludeOnProgress?.Invoke());

        public ValueTask<JobReply> UploadAsync(long jobId, IReadOnlyList<ScanResult> results, CancellationToken ct)
        {
            if (Interlocked.Decrement(ref _failUploads) >= 0)
            {
                throw new ScannerProtocolException("the appliance is down (test)", transient: true);
            }

            foreach (var result in results)
            {
                DeliveredQueue.Enqueue(result);
            }

            return Record($"results {results.Count}", JobReply.Ok);
        }

        public ValueTask<JobReply> CompleteAsync(long jobId, bool failed, long resultCount, string? errorMessage, CancellationToken ct) =>
            Record($"complete {(failed ? "failed" : "completed")} {resultCount} {errorMessage}", JobReply.Ok);

        private ValueTask<JobReply> Record(string call, JobReply reply)
        {
            lock (Calls)
            {
                Calls.Add(call);
            }

            return ValueTask.FromResult(reply);
        }
    }
}
