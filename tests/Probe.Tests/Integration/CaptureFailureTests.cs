using Outpost.Probe.Capture;
using Outpost.Probe.Engine;
using Outpost.Probe.Routing;
using Outpost.Probe.Targets;
using Outpost.Probe.Throttle;

namespace Outpost.Probe.Tests.Integration;

/// <summary>
/// The capture loop runs its per-frame code inside libpcap (pcap_dispatch calls back into managed code): an exception
/// there must not unwind through native frames, but end the loop and fail the scan with that exception.
/// </summary>
public class CaptureFailureTests
{
    [Fact]
    public async Task An_observer_that_throws_on_a_real_reply_fails_the_scan_with_its_exception()
    {
        using var ns = NetworkNamespace.Create();
        Assert.True(TargetSet.TryParse([ns.TargetAddress], "20-30", out var targets, out var error), error);
        var thrown = new InvalidOperationException("observer failed on purpose");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var scanner = new ProbeScanner(new PcapDeviceFactory(), new KernelRouteResolver(), TimeProvider.System, SystemSleeper.Instance);

        var failure = await Assert.ThrowsAsync<PacketDeviceException>(() => scanner.RunAsync(
            new ScanRequest(targets!) { ProbesPerSecond = 2000, Wait = TimeSpan.FromSeconds(0.5) },
            new DelegateScanObserver(_ => throw thrown),
            timeout.Token));

        Assert.Same(thrown, failure.InnerException);
        Assert.False(timeout.IsCancellationRequested);
    }
}
