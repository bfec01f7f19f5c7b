using System.Collections.Concurrent;
using System.Globalization;
using Outpost.Probe.Engine;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Tests.Integration;

/// <summary>
/// Several hosts on one link, each with its own MAC: a bridge on our side with two namespaces plugged in. A frame
/// sent to the wrong MAC is dropped by the bridge's other port, so this proves per-host next-hop resolution.
/// </summary>
public sealed class SharedLinkTests : IDisposable
{
    private readonly int _slot = NetworkNamespace.NextSlot();
    private readonly string _tag;
    private readonly List<string> _namespaces = [];
    private readonly List<System.Diagnostics.Process> _listeners = [];

    public SharedLinkTests() => _tag = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId % 10000}x{_slot}");

    private string Bridge => "opbr" + _tag;

    private string Address(int host) => string.Create(CultureInfo.InvariantCulture, $"10.77.{_slot}.{host}");

    [Fact]
    public async Task Each_host_on_the_link_gets_frames_for_its_own_mac()
    {
        NetworkNamespace.Run("ip", "link", "add", Bridge, "type", "bridge");
        NetworkNamespace.Run("ip", "addr", "add", Address(1) + "/24", "dev", Bridge);
        NetworkNamespace.Run("ip", "link", "set", Bridge, "up");
        AddHost(2, 80);
        AddHost(3, 22);

        // .4 is on the link but nobody answers ARP for it: its probes are skipped, not sent into the void.
        Assert.True(TargetSet.TryParse([$"{Address(2)}-{Address(4)}"], "1-100", out var set, out _));
        var results = new ConcurrentQueue<ScanResult>();
        var warnings = new ConcurrentQueue<string>();
        var request = new ScanRequest(set!) { ProbesPerSecond = 20_000, Wait = TimeSpan.FromSeconds(0.5) };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var summary = await new ProbeScanner().RunAsync(request, new DelegateScanObserver(results.Enqueue, null, warnings.Enqueue), timeout.Token);

        Assert.Equal(200, summary.Sent);
        Assert.Equal(100, summary.Unreachable);
        Assert.Equal(
            [(Address(2), 80), (Address(3), 22)],
            results.Where(r => r.State == PortState.Open).Select(r => (r.Address.ToString(), (int)r.Port.Value)).Order());
        Assert.Equal(198, results.Count(r => r.State == PortState.Closed));
        Assert.Contains(warnings, w => w.Contains("1 of 3 hosts", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        foreach (var listener in _listeners)
        {
            listener.StandardInput.Close();
            if (!listener.WaitForExit(TimeSpan.FromSeconds(2)))
            {
                listener.Kill(entireProcessTree: true);
            }

            listener.Dispose();
        }

        foreach (var ns in _namespaces)
        {
            NetworkNamespace.Exec("ip", "netns", "del", ns);
        }

        NetworkNamespace.Exec("ip", "link", "del", Bridge);
    }

    private void AddHost(int host, int openPort)
    {
        var ns = string.Create(CultureInfo.InvariantCulture, $"opt{_tag}h{host}");
        var hostSide = string.Create(CultureInfo.InvariantCulture, $"opp{_tag}h{host}");
        _namespaces.Add(ns);
        NetworkNamespace.Run("ip", "netns", "add", ns);
        NetworkNamespace.Run("ip", "link", "add", hostSide, "type", "veth", "peer", "name", "veth0", "netns", ns);
        NetworkNamespace.Run("ip", "link", "set", hostSide, "master", Bridge);
        NetworkNamespace.Run("ip", "link", "set", hostSide, "up");
        NetworkNamespace.Run("ip", "-n", ns, "addr", "add", Address(host) + "/24", "dev", "veth0");
        NetworkNamespace.Run("ip", "-n", ns, "link", "set", "veth0", "up");
        _listeners.Add(NetworkNamespace.StartListener(ns, Address(host), openPort));
    }
}
