using System.Diagnostics;
using System.Globalization;
using Outpost.Probe.Packets;

namespace Outpost.Probe.Tests.Integration;

/// <summary>
/// A throw-away target network for one test: a namespace holding one end of a veth pair, the other end in the
/// test's own namespace, on a /30 inside 10.77.0.0/16 unique to the test (so tests run in parallel). The target is
/// 10.77.N.2, we are 10.77.N.1; scan traffic can only ever reach the namespace. Dispose deletes the namespace,
/// which also removes the veth pair, and stops any listener — even when the test failed.
/// Every failure to set up throws: these tests never skip.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private static int _counter;

    /// <summary>The next free slot: the third octet of 10.77.slot.0/24, unique in this process.</summary>
    internal static int NextSlot() => 1 + ((Interlocked.Increment(ref _counter) + (Environment.ProcessId % 20 * 10)) % 199);
    private readonly List<Process> _listeners = [];

    private NetworkNamespace(int slot)
    {
        var tag = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId % 10000}x{slot}");
        Name = "opt" + tag;
        HostInterface = "oph" + tag;
        Subnet = slot;
        TargetAddress = string.Create(CultureInfo.InvariantCulture, $"10.77.{slot}.2");
        HostAddress = string.Create(CultureInfo.InvariantCulture, $"10.77.{slot}.1");
    }

    public string Name { get; }

    public string HostInterface { get; }

    public int Subnet { get; }

    /// <summary>The address inside the namespace.</summary>
    public string TargetAddress { get; }

    /// <summary>Our end of the veth pair.</summary>
    public string HostAddress { get; }

    public Ipv4H Target => new(0x0A4D0002u | ((uint)Subnet << 8));

    public static NetworkNamespace Create()
    {
        // Slots 1..199 are the tests'; the benchmark uses 10.77.240.0/20. The pid spreads concurrent test runs.
        var slot = NextSlot();
        var ns = new NetworkNamespace(slot);
        try
        {
            ns.Setup();
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary>Starts TCP listeners on <paramref name="ports"/> at <paramref name="address"/> inside the namespace; returns when they listen.</summary>
    public void Listen(string address, params int[] ports) => _listeners.Add(StartListener(Name, address, ports));

    /// <summary>Starts a python3 listener in namespace <paramref name="ns"/>; returns once it listens. Closing its stdin stops it.</summary>
    internal static Process StartListener(string ns, string address, params int[] ports)
    {
        const string Script = "import socket,sys\n"
            + "ss=[]\n"
            + "for p in sys.argv[2:]:\n"
            + "  s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind((sys.argv[1],int(p))); s.listen(1024); ss.append(s)\n"
            + "print('ready',flush=True)\n"
            + "sys.stdin.read()\n";
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "netns", "exec", ns, "python3", "-c", Script, address }.Concat(ports.Select(p => p.ToString(CultureInfo.InvariantCulture))))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start python3 listener");
        // Handshake, not a sleep: the script prints once every socket is listening.
        var line = process.StandardOutput.ReadLine();
        if (line != "ready")
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"listener in {ns} failed: {process.StandardError.ReadToEnd()}");
        }

        return process;
    }

    /// <summary>Makes the target silent: its answers to us are routed into a blackhole. Our neighbour entry is pinned first so route discovery still works.</summary>
    public void Silence()
    {
        var mac = Run("ip", "-n", Name, "-o", "link", "show", "veth0").Split("link/ether ")[1].Split(' ')[0];
        Run("ip", "neigh", "replace", TargetAddress, "lladdr", mac, "dev", HostInterface, "nud", "permanent");
        Run("ip", "-n", Name, "route", "add", "blackhole", HostAddress + "/32");
    }

    /// <summary>Lets frames injected on the namespace's loopback device in (see KernelRouteResolver's notes).</summary>
    public void EnableLoopbackScanning() =>
        Run("ip", "netns", "exec", Name, "sysctl", "-q", "-w", "net.ipv4.conf.lo.route_localnet=1", "net.ipv4.conf.lo.accept_local=1");

    /// <summary>Runs a command and returns its exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Exec(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 60 s");
        }

        return (process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }

    public void Dispose()
    {
        foreach (var listener in _listeners)
        {
            try
            {
                listener.StandardInput.Close();
                if (!listener.WaitForExit(TimeSpan.FromSeconds(2)))
                {
                    listener.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            listener.Dispose();
        }

        Exec("ip", "netns", "del", Name);
        Exec("ip", "link", "del", HostInterface); // normally gone with the namespace; harmless if so
    }

    internal static string Run(string file, params string[] args)
    {
        var (code, stdout, stderr) = Exec(file, args);
        return code == 0 ? stdout : throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` failed ({code}): {stderr.Trim()}");
    }

    private void Setup()
    {
        Run("ip", "netns", "add", Name);
        Run("ip", "link", "add", HostInterface, "type", "veth", "peer", "name", "veth0", "netns", Name);
        Run("ip", "addr", "add", HostAddress + "/30", "dev", HostInterface);
        Run("ip", "link", "set", HostInterface, "up");
        Run("ip", "-n", Name, "addr", "add", TargetAddress + "/30", "dev", "veth0");
        Run("ip", "-n", Name, "link", "set", "veth0", "up");
        Run("ip", "-n", Name, "link", "set", "lo", "up");
    }
}
