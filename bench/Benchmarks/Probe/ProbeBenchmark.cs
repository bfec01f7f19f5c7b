using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Outpost.Benchmarks.Probe;

/// <summary>
/// outpost-probe against masscan on the same target network, in one run.
///
/// The network is a namespace the benchmark creates and always removes: 16 addresses (10.77.240.16/28) on one veth
/// end, the other end here as 10.77.240.1/24. Inside, the kernel answers RST for every closed port and a listener
/// holds a few ports open on all 16 addresses, so the truth is known exactly. Both scanners sweep 16 × 65 535 ports
/// at their maximum rate, at 100k and at 10k probes/s ("maximum" is --rate 0 for outpost-probe and --rate 2000000,
/// far above what it reaches, for masscan). The achieved rate is measured the same way for both — the probes of the
/// sweep divided by how long frames kept leaving our veth end, sampled every few milliseconds — so neither tool's own
/// report is trusted; CPU seconds and peak RSS come from /usr/bin/time; open ports are checked against the truth and
/// against nmap -sS.
///
/// Nothing leaves the namespace: every scan is aimed at 10.77.240.16/28 only and is bounded in count (one sweep) and
/// time (a timeout per run).
/// </summary>
public static partial class ProbeBenchmark
{
    private const string Subnet = "10.77.240";
    private const string Targets = Subnet + ".16/28";
    private const int Hosts = 16;
    private const int Ports = 65535;
    private const double Probes = (double)Hosts * Ports;
    private static readonly int[] OpenPorts = [22, 80, 443, 8080, 31337];

    public static async Task<int> RunAsync(string[] args)
    {
        var rates = args.Length > 0 ? args.Select(a => double.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [0, 100_000, 10_000];
        var probe = LocateProbe();
        if (probe is null)
        {
            Console.Error.WriteLine("outpost-probe not found: build src/Probe in the same configuration first");
            return 1;
        }

        using var network = BenchNetwork.Create();
        var truth = new HashSet<(string, int)>(Enumerable.Range(16, Hosts).SelectMany(h => OpenPorts.Select(p => ($"{Subnet}.{h}", p))));
        Console.WriteLine($"probe benchmark: {Hosts} hosts × {Ports} ports = {Hosts * Ports} probes per run; {truth.Count} open ports; namespace {network.Name}");

        // nmap is only a second opinion on the truth: on a starved machine it can be very slow, so it gets a bound
        // and the benchmark goes on without it.
        HashSet<(string, int)>? nmapOpen = null;
        try
        {
            nmapOpen = RunNmap(network);
            Console.WriteLine($"nmap -sS oracle: {nmapOpen.Count} open ports, {(nmapOpen.SetEquals(truth) ? "equal to" : "DIFFERENT FROM")} the truth");
        }
        catch (TimeoutException ex)
        {
            Console.WriteLine($"nmap -sS oracle: unavailable ({ex.Message})");
        }

        var outpostRuns = new List<Run>();
        var masscanRuns = new List<Run>();
        foreach (var rate in rates)
        {
            var outpost = await MeasureAsync(network, "outpost", rate, () => RunOutpost(probe, rate)).ConfigureAwait(false);
            Report(outpost, rate, truth, nmapOpen);
            var masscan = await MeasureAsync(network, "masscan", rate, () => RunMasscan(network, rate)).ConfigureAwait(false);
            Report(masscan, rate, truth, nmapOpen);
            outpostRuns.Add(outpost);
            masscanRuns.Add(masscan);
        }

        for (var i = 0; i < rates.Length; i++)
        {
            var label = rates[i] == 0 ? "max" : $"{rates[i] / 1000:0}k";
            Summary.Print($"probe_rate_{label}_pps", outpostRuns[i].Pps, masscanRuns[i].Pps, "probes/s");
            if (rates[i] > 0)
            {
                Summary.Print($"probe_rate_{label}_error_pct", 100 * Math.Abs(outpostRuns[i].Pps - rates[i]) / rates[i], 100 * Math.Abs(masscanRuns[i].Pps - rates[i]) / rates[i], "%");
            }
        }

        var max = Array.IndexOf(rates, 0.0) is var m and >= 0 ? m : 0;
        Summary.Print("probe_cpu_per_million", outpostRuns[max].CpuSeconds / Probes * 1e6, masscanRuns[max].CpuSeconds / Probes * 1e6, "cpu-s/M probes");
        Summary.Print("probe_peak_rss", outpostRuns.Max(r => r.PeakRssMb), masscanRuns.Max(r => r.PeakRssMb), "MB");
        Summary.Print("probe_open_found_min", outpostRuns.Min(r => 100.0 * r.Open.Intersect(truth).Count() / truth.Count), masscanRuns.Min(r => 100.0 * r.Open.Intersect(truth).Count() / truth.Count), "% of open ports");
        Summary.Print("probe_pcap_drops", outpostRuns.Sum(r => r.Drops), 0, "frames");
        return 0;
    }

    private static void Report(Run run, double rate, HashSet<(string, int)> truth, HashSet<(string, int)>? nmapOpen)
    {
        var missing = truth.Except(run.Open).Count();
        var extra = run.Open.Except(truth).Count();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{run.Tool,-8} asked={(rate == 0 ? "max" : rate.ToString("0", CultureInfo.InvariantCulture)),-7} achieved={run.Pps,10:0} probes/s frames={run.Frames,8} cpu={run.CpuSeconds,6:0.00}s ({run.CpuSeconds / Probes * 1e6,5:0.00} s/M probes) rss={run.PeakRssMb,6:0.0} MB open={run.Open.Count}/{truth.Count} missing={missing} extra={extra} vs-nmap={(nmapOpen is null ? "n/a" : run.Open.SetEquals(nmapOpen) ? "same" : "differs")} drops={run.Drops} wall={run.WallSeconds:0.0}s"));
    }

    // The Probe project's own output (artifacts/bin/Probe/<config>/), not the copy beside this benchmark: next to the
    // appliance's assemblies the copy here resolves its dependencies against the ASP.NET shared framework, which a
    // plain console app does not load.
    private static string? LocateProbe()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var own = Path.Combine(here.Parent!.Parent!.FullName, "Probe", here.Name, "outpost-probe");
        return File.Exists(own) ? own : null;
    }

    private sealed record Run(string Tool, double Pps, long Frames, double CpuSeconds, double PeakRssMb, HashSet<(string, int)> Open, long Drops, double WallSeconds);

    private sealed record ToolOutput(string Stdout, string Stderr, double CpuSeconds, double PeakRssMb, double WallSeconds);

    private static async Task<Run> MeasureAsync(BenchNetwork network, string tool, double rate, Func<ToolOutput> run)
    {
        var counter = $"/sys/class/net/{network.HostInterface}/statistics/tx_packets";
        var before = long.Parse(File.ReadAllText(counter), CultureInfo.InvariantCulture);
        using var stop = new CancellationTokenSource();
        // Sample the frames leaving our veth end: the first and last moment the count moved bound the send phase.
        var sampler = Task.Run(() =>
        {
            var clock = Stopwatch.StartNew();
            var last = before;
            double? first = null;
            var lastChange = 0.0;
            while (!stop.IsCancellationRequested)
            {
                var now = long.Parse(File.ReadAllText(counter), CultureInfo.InvariantCulture);
                if (now != last)
                {
                    var t = clock.Elapsed.TotalSeconds;
                    first ??= t;
                    lastChange = t;
                    last = now;
                }

                Thread.Sleep(2);
            }

            return (Frames: last - before, Seconds: first is null ? 0 : lastChange - first.Value);
        });

        var output = await Task.Run(run).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        var (frames, seconds) = await sampler.ConfigureAwait(false);
        var open = tool == "outpost" ? ParseOutpost(output.Stdout) : ParseMasscan(output.Stdout);
        var drops = tool == "outpost" && DropsRegex().Match(output.Stderr) is { Success: true } d ? long.Parse(d.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        // Rate = the sweep's probes over the time frames were leaving. Frames are counted too but not used for the rate:
        // masscan emits about half as many frames again as it has probes here, which would flatter it.
        return new Run(tool, seconds > 0 ? Probes / seconds : 0, frames, output.CpuSeconds, output.PeakRssMb, open, drops, output.WallSeconds);
    }

    private static ToolOutput RunOutpost(string probe, double rate) =>
        Timed(probe, ["scan", Targets, "-p", "1-65535", "--rate", rate.ToString(CultureInfo.InvariantCulture), "--wait", "1", "--json"]);

    private static ToolOutput RunMasscan(BenchNetwork network, double rate) =>
        Timed("masscan", [Targets, "-p1-65535", "--rate", (rate == 0 ? 2_000_000 : rate).ToString(CultureInfo.InvariantCulture), "--wait", "1",
            "--adapter", network.HostInterface, "--adapter-ip", $"{Subnet}.1", "--adapter-mac", network.HostMac, "--router-mac", network.TargetMac]);

    private static HashSet<(string, int)> RunNmap(BenchNetwork network)
    {
        var output = Timed("nmap", ["-sS", "-n", "-Pn", "-p-", "--min-rate", "30000", "--max-retries", "3", "-T5", "-e", network.HostInterface, "-oG", "-", Targets], timeoutMinutes: 2);
        var open = new HashSet<(string, int)>();
        foreach (var line in output.Stdout.Split('\n'))
        {
            var host = NmapHostRegex().Match(line);
            if (!host.Success)
            {
                continue;
            }

            foreach (Match port in NmapOpenRegex().Matches(line))
            {
                open.Add((host.Groups[1].Value, int.Parse(port.Groups[1].Value, CultureInfo.InvariantCulture)));
            }
        }

        return open;
    }

    private static HashSet<(string, int)> ParseOutpost(string stdout)
    {
        var open = new HashSet<(string, int)>();
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var e = JsonDocument.Parse(line).RootElement;
            if (e.GetProperty("state").GetString() == "open")
            {
                open.Add((e.GetProperty("ip").GetString()!, e.GetProperty("port").GetInt32()));
            }
        }

        return open;
    }

    private static HashSet<(string, int)> ParseMasscan(string stdout) =>
        MasscanRegex().Matches(stdout).Select(m => (m.Groups[2].Value, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))).ToHashSet();

    /// <summary>Runs a tool under /usr/bin/time for CPU seconds and peak RSS, with a hard timeout.</summary>
    private static ToolOutput Timed(string file, string[] args, int timeoutMinutes = 5)
    {
        var timeFile = Path.GetTempFileName();
        try
        {
            var start = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-o", timeFile, "-f", "%e %U %S %M", file }.Concat(args))
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(timeoutMinutes)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} did not finish within {timeoutMinutes} minutes");
            }

            var f = File.ReadAllText(timeFile).Trim().Split('\n')[^1].Split(' ');
            double P(string s) => double.Parse(s, CultureInfo.InvariantCulture);
            return new ToolOutput(stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult(), P(f[1]) + P(f[2]), P(f[3]) / 1024, P(f[0]));
        }
        finally
        {
            File.Delete(timeFile);
        }
    }

    [GeneratedRegex(@"drops=(\d+)")]
    private static partial Regex DropsRegex();

    [GeneratedRegex(@"Discovered open port (\d+)/tcp on ([\d.]+)")]
    private static partial Regex MasscanRegex();

    [GeneratedRegex(@"^Host: ([\d.]+) .*Ports: ")]
    private static partial Regex NmapHostRegex();

    [GeneratedRegex(@"(\d+)/open/tcp")]
    private static partial Regex NmapOpenRegex();

    /// <summary>The benchmark's namespace and veth pair; Dispose removes both, whatever happened.</summary>
    private sealed class BenchNetwork : IDisposable
    {
        private Process? _listener;

        private BenchNetwork(string tag)
        {
            Name = "opbench" + tag;
            HostInterface = "opbh" + tag;
        }

        public string Name { get; }

        public string HostInterface { get; }

        public string HostMac { get; private set; } = "";

        public string TargetMac { get; private set; } = "";

        public static BenchNetwork Create()
        {
            var network = new BenchNetwork((Environment.ProcessId % 100000).ToString(CultureInfo.InvariantCulture));
            try
            {
                network.Setup();
            }
            catch
            {
                network.Dispose();
                throw;
            }

            return network;
        }

        public void Dispose()
        {
            if (_listener is not null)
            {
                try
                {
                    _listener.StandardInput.Close();
                    if (!_listener.WaitForExit(TimeSpan.FromSeconds(2)))
                    {
                        _listener.Kill(entireProcessTree: true);
                    }
                }
                catch (InvalidOperationException)
                {
                    // Already exited.
                }

                _listener.Dispose();
            }

            Exec("ip", "netns", "del", Name);
            Exec("ip", "link", "del", HostInterface);
        }

        private void Setup()
        {
            Run("ip", "netns", "add", Name);
            Run("ip", "link", "add", HostInterface, "type", "veth", "peer", "name", "veth0", "netns", Name);
            Run("ip", "addr", "add", $"{Subnet}.1/24", "dev", HostInterface);
            Run("ip", "link", "set", HostInterface, "up");
            for (var h = 16; h < 16 + Hosts; h++)
            {
                Run("ip", "-n", Name, "addr", "add", $"{Subnet}.{h}/24", "dev", "veth0");
            }

            Run("ip", "-n", Name, "link", "set", "veth0", "up");
            Run("ip", "-n", Name, "link", "set", "lo", "up");
            // A deep SYN backlog and SYN cookies: at a million probes/s the listeners must answer every SYN, never drop one.
            Run("ip", "netns", "exec", Name, "sysctl", "-q", "-w", "net.ipv4.tcp_max_syn_backlog=65536", "net.core.somaxconn=65535", "net.ipv4.tcp_syncookies=1");
            HostMac = File.ReadAllText($"/sys/class/net/{HostInterface}/address").Trim();
            TargetMac = Run("ip", "-n", Name, "-o", "link", "show", "veth0").Split("link/ether ")[1].Split(' ')[0];

            const string Script = "import socket,sys\n"
                + "ss=[]\n"
                + "for p in sys.argv[1:]:\n"
                + "  s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(('0.0.0.0',int(p))); s.listen(65535); ss.append(s)\n"
                + "print('ready',flush=True)\n"
                + "sys.stdin.read()\n";
            var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "netns", "exec", Name, "python3", "-c", Script }.Concat(OpenPorts.Select(p => p.ToString(CultureInfo.InvariantCulture))))
            {
                start.ArgumentList.Add(a);
            }

            _listener = Process.Start(start)!;
            if (_listener.StandardOutput.ReadLine() != "ready")
            {
                throw new InvalidOperationException("the benchmark's listeners did not start: " + _listener.StandardError.ReadToEnd());
            }
        }

        private static string Run(string file, params string[] args)
        {
            var (code, stdout, stderr) = Exec(file, args);
            return code == 0 ? stdout : throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` failed: {stderr.Trim()}");
        }

        private static (int Code, string Stdout, string Stderr) Exec(string file, params string[] args)
        {
            var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args)
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
        }
    }
}
