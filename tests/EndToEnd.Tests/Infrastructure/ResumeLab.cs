using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Outpost.Probe.Tests.Integration;

namespace Outpost.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The resume tests' network: a namespace <c>rs-…</c> on 10.80.N.0/24 (the resume tests' range), reached through a
/// veth pair, with 10.80.N.2 and the block 10.80.N.64/26 its own (a local route, so it answers ARP for all of them:
/// 65 targets on one link), listeners on <see cref="OpenPorts"/> at every address, and a capture on its end of the
/// veth that counts the SYN probes arriving (<see cref="CountSyns"/>). Scan traffic can reach nothing else. Dispose
/// stops the listeners and captures (a capture told to stop reads what is still buffered first) and deletes the namespace, which removes the veth pair and its routes.
/// </summary>
public sealed class ResumeLab : IDisposable
{
    private const string CaptureScript = """
        import json, socket, struct, sys, threading
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
        s.bind(("veth0", 0))
        s.settimeout(0.2)
        seen, syns, done = set(), 0, threading.Event()
        threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
        print("ready", flush=True)
        while True:
            try:
                frame, address = s.recvfrom(65535)
            except socket.timeout:
                if done.is_set():
                    break
                continue
            if address[2] == socket.PACKET_OUTGOING or len(frame) < 54 or frame[23] != 6:
                continue
            ihl = (frame[14] & 15) * 4
            sport, dport = struct.unpack("!HH", frame[14 + ihl:18 + ihl])
            flags = frame[14 + ihl + 13]
            if flags & 0x12 == 0x02 and sport >= 61000:
                syns += 1
                seen.add((frame[30:34], dport))
        print(json.dumps({"syns": syns, "distinct": len(seen)}), flush=True)
        """;

    private static int _counter;
    private readonly List<Process> _listeners = [];
    private readonly int _slot;

    private ResumeLab(int slot, int[] openPorts)
    {
        _slot = slot;
        var tag = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId % 10000}x{slot}");
        Name = "rs-" + tag;
        HostInterface = "rsh" + tag;
        OpenPorts = openPorts;
    }

    public string Name { get; }

    public string HostInterface { get; }

    public int[] OpenPorts { get; }

    public string Target => Address(2);

    public string Block => string.Create(CultureInfo.InvariantCulture, $"10.80.{_slot}.64/26");

    /// <summary>What a scan of the lab targets: 65 addresses, all inside the namespace.</summary>
    public string[] Targets => [Target, Block];

    public const int AddressCount = 65;

    /// <summary>Every open (address, port) as "ip:port", sorted: what a scan's findings must equal.</summary>
    public IReadOnlyList<string> ExpectedOpen =>
    [
        .. new[] { 2 }.Concat(Enumerable.Range(64, 64)).SelectMany(host => OpenPorts.Select(port => string.Create(CultureInfo.InvariantCulture, $"{Address(host)}:{port}")))
            .Order(StringComparer.Ordinal),
    ];

    public static ResumeLab Create(params int[] openPorts)
    {
        var slot = 1 + ((Interlocked.Increment(ref _counter) + (Environment.ProcessId % 20 * 10)) % 199);
        var lab = new ResumeLab(slot, openPorts);
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

    /// <summary>Starts counting SYN probes that reach the namespace; the count is read when the returned capture is stopped.</summary>
    public SynCapture CountSyns()
    {
        var capture = Start("python3", "-c", CaptureScript);
        _listeners.Add(capture);
        return new SynCapture(capture);
    }

    public void Dispose()
    {
        foreach (var process in _listeners)
        {
            try
            {
                process.StandardInput.Close();
                if (!process.WaitForExit(TimeSpan.FromSeconds(3)))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }

        NetworkNamespace.Exec("ip", "netns", "del", Name);
        NetworkNamespace.Exec("ip", "link", "del", HostInterface);
    }

    private string Address(int host) => string.Create(CultureInfo.InvariantCulture, $"10.80.{_slot}.{host}");

    private void Setup()
    {
        NetworkNamespace.Run("ip", "netns", "add", Name);
        NetworkNamespace.Run("ip", "link", "add", HostInterface, "type", "veth", "peer", "name", "veth0", "netns", Name);
        NetworkNamespace.Run("ip", "addr", "add", Address(1) + "/30", "dev", HostInterface);
        NetworkNamespace.Run("ip", "link", "set", HostInterface, "up");
        NetworkNamespace.Run("ip", "-n", Name, "addr", "add", Target + "/30", "dev", "veth0");
        NetworkNamespace.Run("ip", "-n", Name, "link", "set", "veth0", "up");
        NetworkNamespace.Run("ip", "-n", Name, "link", "set", "lo", "up");
        NetworkNamespace.Run("ip", "-n", Name, "route", "add", "local", Block, "dev", "lo");
        NetworkNamespace.Run("ip", "route", "add", Block, "dev", HostInterface);
        _listeners.Add(NetworkNamespace.StartListener(Name, "0.0.0.0", OpenPorts));
    }

    /// <summary>Runs a command inside the namespace; returns once it printed "ready".</summary>
    private Process Start(params string[] command)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "netns", "exec", Name }.Concat(command))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {command[0]} in {Name}");
        if (process.StandardOutput.ReadLine() != "ready")
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{command[0]} in {Name} failed: {process.StandardError.ReadToEnd()}");
        }

        return process;
    }
}

/// <summary>A running count of SYN probes on the lab's link.</summary>
public sealed class SynCapture(Process process)
{
    /// <summary>Stops the capture; returns the SYNs seen and how many distinct (address, port) they were for.</summary>
    public (int Syns, int Distinct) Stop()
    {
        process.StandardInput.Close();
        var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the capture ended without a count: " + process.StandardError.ReadToEnd());
        using var json = JsonDocument.Parse(line);
        return (json.RootElement.GetProperty("syns").GetInt32(), json.RootElement.GetProperty("distinct").GetInt32());
    }
}
