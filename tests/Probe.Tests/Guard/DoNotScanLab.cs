using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Outpost.Probe.Tests.Integration;

namespace Outpost.Probe.Tests.Guard;

/// <summary>
/// A throw-away target network for the do-not-scan tests: namespace <c>dn-…</c> behind a veth pair on a /24 inside
/// 10.81.0.0/16 unique to the test; the namespace holds <see cref="Hosts"/> addresses 10.81.N.2 … and we are 10.81.N.1,
/// so probes can only reach the namespace. A capture inside the namespace (a raw AF_PACKET socket on its veth end, in
/// python3 as the listeners are) prints every SYN that arrives, in arrival order. Dispose stops the capture and deletes
/// the namespace, which removes the veth pair, also when the test failed. Every setup failure throws: never skips.
/// </summary>
internal sealed class DoNotScanLab : IDisposable
{
    public const int Hosts = 8;

    private const string CaptureScript = "import socket,struct,sys\n"
        + "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(0x0800))\n"
        + "s.bind((sys.argv[1],0))\n"
        + "print('ready',flush=True)\n"
        + "while True:\n"
        + "  f=s.recv(4096)\n"
        + "  ip=f[14:]\n"
        + "  if len(ip)<20 or ip[9]!=6: continue\n"
        + "  t=ip[(ip[0]&15)*4:]\n"
        + "  if len(t)>13 and t[13]&0x12==0x02: print(socket.inet_ntoa(ip[16:20]),struct.unpack('!H',t[2:4])[0],flush=True)\n";

    private static int _counter;
    private readonly ConcurrentQueue<(string Address, int Port)> _syns = new();
    private Process? _capture;

    private DoNotScanLab(int slot)
    {
        var tag = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId % 10000}x{slot}");
        Name = "dn-t" + tag;
        HostInterface = "dnh" + tag;
        Prefix = string.Create(CultureInfo.InvariantCulture, $"10.81.{slot}.");
    }

    public string Name { get; }

    public string HostInterface { get; }

    /// <summary>"10.81.N."; the targets are Prefix + 2 … Prefix + (Hosts + 1).</summary>
    public string Prefix { get; }

    public string FirstTarget => Prefix + "2";

    public string LastTarget => Prefix + (Hosts + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>Every SYN the namespace received so far, in arrival order.</summary>
    public IReadOnlyList<(string Address, int Port)> Syns => [.. _syns];

    public int SynCount => _syns.Count;

    public static DoNotScanLab Create()
    {
        var slot = 1 + ((Interlocked.Increment(ref _counter) + (Environment.ProcessId % 25 * 10)) % 250);
        var lab = new DoNotScanLab(slot);
        try
        {
            lab.Setup();
        }
        catch
        {
            lab.Dispose();
            throw;
        }

        return lab;
    }

    /// <summary>Waits until <paramref name="count"/> SYNs have been captured, or the deadline; returns what was captured.</summary>
    public async Task<IReadOnlyList<(string Address, int Port)>> WaitForSynsAsync(int count, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (_syns.Count < count && deadline.Elapsed < timeout)
        {
            await Task.Delay(50);
        }

        return Syns;
    }

    public void Dispose()
    {
        if (_capture is { } capture)
        {
            try
            {
                capture.Kill(entireProcessTree: true);
                capture.WaitForExit(2000);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            capture.Dispose();
        }

        NetworkNamespace.Exec("ip", "netns", "del", Name);
        NetworkNamespace.Exec("ip", "link", "del", HostInterface);
    }

    private void Setup()
    {
        NetworkNamespace.Run("ip", "netns", "add", Name);
        NetworkNamespace.Run("ip", "link", "add", HostInterface, "type", "veth", "peer", "name", "veth0", "netns", Name);
        NetworkNamespace.Run("ip", "addr", "add", Prefix + "1/24", "dev", HostInterface);
        NetworkNamespace.Run("ip", "link", "set", HostInterface, "up");
        for (var host = 2; host <= Hosts + 1; host++)
        {
            NetworkNamespace.Run("ip", "-n", Name, "addr", "add", Prefix + host.ToString(CultureInfo.InvariantCulture) + "/24", "dev", "veth0");
        }

        NetworkNamespace.Run("ip", "-n", Name, "link", "set", "veth0", "up");
        NetworkNamespace.Run("ip", "-n", Name, "link", "set", "lo", "up");

        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "netns", "exec", Name, "python3", "-u", "-c", CaptureScript, "veth0" })
        {
            start.ArgumentList.Add(arg);
        }

        _capture = Process.Start(start) ?? throw new InvalidOperationException("cannot start the capture");
        // Handshake, not a sleep: the script prints once its socket is bound.
        if (_capture.StandardOutput.ReadLine() != "ready")
        {
            throw new InvalidOperationException($"the capture in {Name} failed: {_capture.StandardError.ReadToEnd()}");
        }

        var output = _capture.StandardOutput;
        _ = Task.Run(async () =>
        {
            while (await output.ReadLineAsync() is { } line)
            {
                if (line.Split(' ') is [var address, var port])
                {
                    _syns.Enqueue((address, int.Parse(port, CultureInfo.InvariantCulture)));
                }
            }
        });
    }
}
