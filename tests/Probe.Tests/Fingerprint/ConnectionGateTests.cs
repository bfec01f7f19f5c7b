using System.Net;
using Outpost.Probe.Capabilities.Fingerprint;

namespace Outpost.Probe.Tests.Fingerprint;

/// <summary>The per-host connection limit: a slot is held until the connection is given back, other hosts are not held up.</summary>
public sealed class ConnectionGateTests
{
    [Fact]
    public async Task A_host_gets_at_most_its_limit_of_connections_and_a_freed_slot_goes_to_the_next()
    {
        var gate = new ConnectionGate(new FingerprintOptions { MaxConnectionsPerHost = 2 });
        var host = IPAddress.Parse("10.78.0.2");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var first = await gate.EnterAsync(host, cancel.Token);
        using var second = await gate.EnterAsync(host, cancel.Token);
        var third = gate.EnterAsync(host, cancel.Token).AsTask();
        Assert.False(third.IsCompleted);

        using var elsewhere = await gate.EnterAsync(IPAddress.Parse("10.78.0.3"), cancel.Token);
        Assert.False(third.IsCompleted);

        first.Dispose();
        (await third).Dispose();
    }
}
