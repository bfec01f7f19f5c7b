using System.Diagnostics;

namespace Outpost.Probe.Tests.Integration;

/// <summary>
/// The achieved rate on real packets, measured by the engine and cross-checked by the wall clock. Runs alone
/// (no other test class in parallel): on a small shared machine a starved send thread would measure the CPU, not the throttle.
/// </summary>
[Collection(nameof(RateTests))]
public class RateTests
{
    [Theory]
    [InlineData(50, 60)]
    [InlineData(2_000, 3_000)]
    [InlineData(10_000, 25_000)]
    public async Task Achieves_the_asked_rate(double rate, int probes)
    {
        using var ns = NetworkNamespace.Create();
        var clock = Stopwatch.StartNew();
        var (summary, results) = await RealPacketScanTests.ScanAsync(ns.TargetAddress, $"1-{probes}", rate, wait: 0.3);
        clock.Stop();
        Assert.Equal(probes, summary.Sent);
        Assert.Equal(probes, results.Count); // every probe answered (all closed): nothing lost at this rate
        Assert.InRange(summary.AchievedRate, rate * 0.97, rate * 1.03);
        // The engine's clock agrees with the wall clock: the scan cannot have been faster than N / rate.
        Assert.True(clock.Elapsed.TotalSeconds >= probes / rate * 0.97, $"{clock.Elapsed.TotalSeconds:0.000} s");
    }
}

[CollectionDefinition(nameof(RateTests), DisableParallelization = true)]
public sealed class RunsAlone;
