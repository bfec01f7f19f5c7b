using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Jobs;
using Outpost.Probe.Tests.Jobs;

namespace Outpost.Probe.Tests.Guard;

/// <summary>
/// The do-not-scan list on the wire (docs/probe-engine.md, "Exclusions"): real probes from the job runner and the engine
/// into a namespace the test creates, captured inside it. What the list names never arrives, also when the list is
/// edited while the job runs. Needs root (CAP_NET_RAW, CAP_NET_ADMIN); fails loudly without.
/// </summary>
public sealed class ExclusionCaptureTests
{
    private const int Ports = 10;
    private const int SlowPorts = 40;

    [Fact]
    public async Task No_frame_reaches_an_excluded_address_or_port()
    {
        using var lab = DoNotScanLab.Create();
        var protocol = new JobRunnerTests.FlakyProtocol(failUploads: 0);
        var runner = new JobRunner(protocol, CapabilityRegistry.Create(new CapabilitySettings()), JobRunnerTests.Fast, TimeProvider.System, NullLogger.Instance);
        var excludedHost = lab.Prefix + "3";
        var excludedEndpoint = (lab.Prefix + "5", 22);
        var job = new JobAssignment(1, 1, "portscan", [new JobTargetSpec($"{lab.FirstTarget}-{lab.LastTarget}", "20-29")], 2000)
        {
            Exclude = [excludedHost, $"{excludedEndpoint.Item1}:{excludedEndpoint.Item2}"],
        };

        await runner.Start(job, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        const int Expected = (DoNotScanLab.Hosts * Ports) - Ports - 1;
        var syns = await lab.WaitForSynsAsync(Expected, TimeSpan.FromSeconds(10));
        Assert.StartsWith("complete completed", protocol.Calls[^1], StringComparison.Ordinal);
        Assert.DoesNotContain(syns, s => s.Address == excludedHost);
        Assert.DoesNotContain(syns, s => s == excludedEndpoint);
        // Everything else arrived, once: the capture really sees the scan.
        Assert.Equal(Expected, syns.Distinct().Count());
        Assert.Contains(syns, s => s.Address == excludedEndpoint.Item1 && s.Port == 23);
    }

    [Fact]
    public async Task An_edit_mid_scan_stops_the_frames_to_the_newly_excluded_address()
    {
        using var lab = DoNotScanLab.Create();
        var edited = lab.Prefix + "4";
        var editedAt = -1;
        // The edit arrives with the first progress reply after a quarter of the probes were seen on the wire.
        var protocol = new JobRunnerTests.FlakyProtocol(failUploads: 0)
        {
            ExcludeOnProgress = () =>
            {
                if (editedAt < 0 && lab.SynCount >= DoNotScanLab.Hosts * SlowPorts / 4)
                {
                    editedAt = lab.SynCount;
                }

                return editedAt < 0 ? null : [edited];
            },
        };
        var runner = new JobRunner(protocol, CapabilityRegistry.Create(new CapabilitySettings()), JobRunnerTests.Fast, TimeProvider.System, NullLogger.Instance);

        // 320 probes at 100 per second: about three seconds, so the edit lands mid-scan; bounded by the waits below.
        var job = new JobAssignment(2, 1, "portscan", [new JobTargetSpec($"{lab.FirstTarget}-{lab.LastTarget}", "20-59")], 100);
        await runner.Start(job, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        var syns = await lab.WaitForSynsAsync(DoNotScanLab.Hosts * SlowPorts, TimeSpan.FromSeconds(2));

        Assert.StartsWith("complete completed", protocol.Calls[^1], StringComparison.Ordinal);
        Assert.True(editedAt > 0, "the edit never went out");
        // At 100 probes/s the engine has at most a few probes built when the edit lands; allow one full batch in flight.
        var settled = editedAt + Outpost.Probe.Engine.SendLoop.Batch;
        Assert.True(syns.Count > settled, $"the scan ended before the edit could show ({syns.Count} frames, edit at {editedAt})");
        Assert.DoesNotContain(syns.Skip(settled), s => s.Address == edited);
        Assert.True(syns.Count(s => s.Address == edited) < SlowPorts, "every probe of the edited address went out");
        Assert.Equal(syns.Count, syns.Distinct().Count());
    }
}
