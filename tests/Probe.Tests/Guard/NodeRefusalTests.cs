using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capture;
using Outpost.Probe.Guard;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;
using Outpost.Probe.Tests.Jobs;

namespace Outpost.Probe.Tests.Guard;

/// <summary>
/// The node protects itself (docs/probe-engine.md, "What the node refuses"): jobs naming targets it never probes fail
/// with a message an operator can act on and send nothing; rates are held to the node's ceiling and default; a plain
/// http:// appliance is refused unless --insecure-http is given. The same rule refuses the CLI's targets.
/// </summary>
public sealed class NodeRefusalTests
{
    [Theory]
    [InlineData("0.0.0.5", "refused target 0.0.0.5: 0.0.0.0/8 is \"this network\", not a host and is never scanned; remove it from the targets.")]
    [InlineData("224.0.0.1", "refused target 224.0.0.1: 224.0.0.0/4 is multicast and is never scanned; remove it from the targets.")]
    [InlineData("240.0.0.9", "refused target 240.0.0.9: 240.0.0.0/4 is reserved and is never scanned; remove it from the targets.")]
    [InlineData("255.255.255.255", "refused target 255.255.255.255: 255.255.255.255 is the limited broadcast and is never scanned; remove it from the targets.")]
    [InlineData("10.0.0.0/8,223.255.255.0-224.0.0.10", "refused target 224.0.0.0: 224.0.0.0/4 is multicast and is never scanned; remove it from the targets.")]
    [InlineData("127.0.0.1", "refused target 127.0.0.1: 127.0.0.0/8 is this machine's loopback; scanning it needs --allow-loopback (meant for tests).")]
    public async Task A_job_with_a_forbidden_target_fails_with_the_reason_and_sends_nothing(string targets, string message)
    {
        var protocol = new JobRunnerTests.FlakyProtocol(failUploads: 0);
        var network = new SimulatedNetworkDevice((_, _) => SimulatedAnswer.Open);
        var runner = new JobRunner(protocol, JobRunnerTests.Capabilities(network), JobRunnerTests.Fast, TimeProvider.System, NullLogger.Instance);

        var specs = targets.Split(',').Select(t => new JobTargetSpec(t, "80")).ToList();
        await runner.Start(new JobAssignment(1, 1, "portscan", specs, 1000), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("complete failed 0 " + message, protocol.Calls[^1]);
        Assert.Equal(0, network.SentFrames);
    }

    [Fact]
    public async Task Loopback_runs_when_the_node_allows_it()
    {
        var protocol = new JobRunnerTests.FlakyProtocol(failUploads: 0);
        var network = new SimulatedNetworkDevice((_, port) => port.Value == 80 ? SimulatedAnswer.Open : SimulatedAnswer.Closed);
        var options = JobRunnerTests.Fast with { Guard = new JobGuard { AllowLoopback = true } };
        var runner = new JobRunner(protocol, JobRunnerTests.Capabilities(network), options, TimeProvider.System, NullLogger.Instance);

        await runner.Start(new JobAssignment(2, 1, "portscan", [new JobTargetSpec("127.0.0.1", "79-81")], 1000), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("complete completed 1 ", protocol.Calls[^1]);
        Assert.Equal(3, network.SentFrames);
    }

    [Theory]
    [InlineData(0, 1_000)]
    [InlineData(-5, 1_000)]
    [InlineData(5_000, 5_000)]
    [InlineData(10_000_000, 100_000)]
    public async Task A_job_runs_at_its_rate_held_to_the_ceiling_or_at_the_default_when_it_has_none(int asked, int expected)
    {
        var seen = new RateRecorder();
        var runner = new JobRunner(new JobRunnerTests.FlakyProtocol(failUploads: 0), new CapabilityRegistry([seen]), JobRunnerTests.Fast,
            TimeProvider.System, NullLogger.Instance);

        await runner.Start(new JobAssignment(3, 1, "portscan", [new JobTargetSpec("10.0.0.1", "80")], asked), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(expected, seen.Rate);
    }

    [Fact]
    public async Task The_node_s_own_ceiling_and_default_come_from_its_flags()
    {
        var seen = new RateRecorder();
        var settings = Resolve(maxRate: 300, defaultRate: 50);
        var runner = new JobRunner(new JobRunnerTests.FlakyProtocol(failUploads: 0), new CapabilityRegistry([seen]), JobRunnerTests.Fast with { Guard = settings.Guard },
            TimeProvider.System, NullLogger.Instance);

        await runner.Start(new JobAssignment(4, 1, "portscan", [new JobTargetSpec("10.0.0.1", "80")], 0), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(50, seen.Rate);
        await runner.Start(new JobAssignment(5, 1, "portscan", [new JobTargetSpec("10.0.0.1", "80")], 20_000), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(300, seen.Rate);
    }

    [Fact]
    public void The_rate_settings_come_from_probe_json_too()
    {
        using var config = new TempFile("""{ "maxRate": 2000, "defaultRate": 20, "allowLoopback": true }""");
        var settings = NodeSettings.Resolve(Flags("https://appliance.test", config.Path), out var error);
        Assert.Null(error);
        Assert.Equal((2000, 20, true), (settings!.Guard.MaxRate, settings.Guard.DefaultRate, settings.Guard.AllowLoopback));
    }

    [Theory]
    [InlineData(0, null, "--max-rate must be at least 1 probe per second.")]
    [InlineData(null, 0, "--default-rate must be at least 1 probe per second.")]
    public void A_rate_setting_below_one_is_refused(int? maxRate, int? defaultRate, string message)
    {
        using var config = new TempFile("{}");
        var flags = Flags("https://appliance.test", config.Path) with { MaxRate = maxRate, DefaultRate = defaultRate };
        Assert.Null(NodeSettings.Resolve(flags, out var error));
        Assert.Equal(message, error);
    }

    [Fact]
    public void A_plain_http_appliance_is_refused_without_insecure_http()
    {
        using var config = new TempFile("{}");
        Assert.Null(NodeSettings.Resolve(Flags("http://appliance.test:8080", config.Path), out var error));
        Assert.Equal("refused appliance URL http://appliance.test:8080: plain http:// lets anyone on the path read the API key and hand this node work; "
            + "use https:// (with --tls-fingerprint for a self-signed certificate), or pass --insecure-http for a test setup.", error);

        Assert.NotNull(NodeSettings.Resolve(Flags("http://appliance.test:8080", config.Path) with { InsecureHttp = true }, out error));
        Assert.Null(error);
        Assert.NotNull(NodeSettings.Resolve(Flags("https://appliance.test", config.Path), out error));
    }

    [Fact]
    public void The_node_command_exits_2_naming_the_http_refusal()
    {
        using var config = new TempFile("{}");
        using var ns = new SealedNamespace();
        var (code, _, stderr) = ns.RunProbe("node", "--appliance", "http://127.0.0.1:9", "--api-key", "k", "--config", config.Path);
        Assert.Equal(NodeCommand.ExitUsage, code);
        Assert.Contains("refused appliance URL http://127.0.0.1:9: plain http://", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("224.0.0.1", "outpost-probe: refused target 224.0.0.1: 224.0.0.0/4 is multicast and is never scanned; remove it from the targets.")]
    [InlineData("0.0.0.5", "outpost-probe: refused target 0.0.0.5: 0.0.0.0/8 is \"this network\", not a host and is never scanned; remove it from the targets.")]
    [InlineData("240.0.0.9", "outpost-probe: refused target 240.0.0.9: 240.0.0.0/4 is reserved and is never scanned; remove it from the targets.")]
    [InlineData("255.255.255.255", "outpost-probe: refused target 255.255.255.255: 255.255.255.255 is the limited broadcast and is never scanned; remove it from the targets.")]
    [InlineData("127.0.0.1", "outpost-probe: refused target 127.0.0.1: 127.0.0.0/8 is this machine's loopback; scanning it needs --allow-loopback (meant for tests).")]
    public void The_cli_refuses_the_same_targets_before_anything_is_sent(string target, string message)
    {
        // In a sealed namespace with nothing but loopback: even a bug that sent would reach nothing.
        using var ns = new SealedNamespace();
        var (code, stdout, stderr) = ns.RunProbe("scan", target, "-p", "80", "--rate", "100", "--wait", "0");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(message, stderr.Trim());
    }

    [Fact]
    public void The_fingerprint_cli_refuses_them_too()
    {
        using var ns = new SealedNamespace();
        var (code, _, stderr) = ns.RunProbe("fingerprint", "10.0.0.1,224.0.0.251", "-p", "80");
        Assert.Equal(2, code);
        Assert.Equal("outpost-probe: refused target 224.0.0.251: 224.0.0.0/4 is multicast and is never scanned; remove it from the targets.", stderr.Trim());
    }

    private static NodeSettings.Flags Flags(string appliance, string config) =>
        new(appliance, "k", null, null, null, null, null, null, null, config);

    private static NodeSettings Resolve(int maxRate, int defaultRate)
    {
        using var config = new TempFile("{}");
        var flags = Flags("https://appliance.test", config.Path) with { MaxRate = maxRate, DefaultRate = defaultRate };
        return NodeSettings.Resolve(flags, out var error) ?? throw new InvalidOperationException(error);
    }

    /// <summary>A port scan that only records the rate its job came with.</summary>
    private sealed class RateRecorder : ICapability
    {
        public int Rate { get; private set; } = -1;

        public string Name => "portscan";

        public string Version => "test";

        public string? Unavailable => null;

        public Task<CapabilityOutcome> RunAsync(JobAssignment job, IJobReport report, CancellationToken stopping)
        {
            Rate = job.MaxProbesPerSecond;
            return Task.FromResult(new CapabilityOutcome(true, null, 1));
        }
    }

    private sealed class TempFile : IDisposable
    {
        public TempFile(string content)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dn-" + Guid.NewGuid().ToString("N") + ".json");
            File.WriteAllText(Path, content);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
