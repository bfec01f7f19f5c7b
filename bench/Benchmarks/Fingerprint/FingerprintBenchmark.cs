using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Outpost.Probe.Capabilities.Fingerprint.Rules;
using Outpost.Testing;

namespace Outpost.Benchmarks.Fingerprint;

/// <summary>
/// outpost-probe fingerprint against nmap -sV on the same namespace of real Debian daemons (the lab the fingerprint
/// tests use: sshd, nginx over HTTP and HTTPS, vsftpd, Redis, Memcached, PostgreSQL, Postfix, each on its usual port
/// and an unusual one), in one run.
///
/// Both run as processes inside the namespace (ip netns exec), against the lab's one address and its open ports only,
/// each with its own defaults except outpost-probe's connection rate, lifted (--rate 0) as nmap has none. Wall time
/// includes process start for both. Agreement takes nmap as the reference: the service names agree when they are the
/// same (nmap's "http" with tunnel "ssl" is "https"); product and version agree when the products agree (one name
/// contains the other: "PostgreSQL" and "PostgreSQL DB") and, where nmap names an exact version, ours is its first
/// word ("9.2p1" for "9.2p1 Debian 2+deb12u10"). A range such as "9.6.0 or later" is not an exact version.
/// Targets: service ≥ 95 %, product+version ≥ 90 %, ≥ 10× faster.
/// </summary>
public static class FingerprintBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        var probe = LocateProbe();
        if (probe is null)
        {
            Console.Error.WriteLine("outpost-probe not found: build src/Probe in the same configuration first");
            return 1;
        }

        await using var lab = await ServiceLab.StartAsync();
        var ports = string.Join(',', lab.Services.Select(s => s.Port));
        Console.WriteLine($"fingerprint benchmark: {lab.Services.Count} open ports on {lab.Address} (namespace {lab.Namespace}); {rounds} rounds; load {Load()}");

        var ours = new List<double>();
        var theirs = new List<double>();
        Dictionary<int, Identity> outpost = [];
        Dictionary<int, Identity> nmap = [];
        for (var round = 0; round < rounds; round++)
        {
            var (nmapSeconds, nmapXml) = Run(lab.Namespace, "nmap", "-sV", "-Pn", "-n", "-p", ports, "-oX", "-", lab.Address);
            var (ourSeconds, ourJson) = Run(lab.Namespace, probe, "fingerprint", lab.Address, "-p", ports, "--json", "--rate", "0");
            theirs.Add(nmapSeconds);
            ours.Add(ourSeconds);
            nmap = ParseNmap(nmapXml);
            outpost = ParseOutpost(ourJson);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: outpost {ourSeconds:0.000} s, nmap -sV {nmapSeconds:0.000} s"));
        }

        Console.WriteLine();
        Console.WriteLine($"{"port",-6} {"outpost",-52} nmap -sV");
        int serviceAgree = 0, productAgree = 0;
        foreach (var service in lab.Services)
        {
            var mine = outpost.GetValueOrDefault(service.Port) ?? Identity.None;
            var reference = nmap.GetValueOrDefault(service.Port) ?? Identity.None;
            var sameService = mine.Service == reference.Service;
            var sameProduct = SameProductAndVersion(mine, reference);
            serviceAgree += sameService ? 1 : 0;
            productAgree += sameProduct ? 1 : 0;
            Console.WriteLine($"{service.Port,-6} {mine,-52} {reference}{(sameService ? "" : "  [service differs]")}{(sameProduct ? "" : "  [product/version differs]")}");
        }

        var servicePercent = 100.0 * serviceAgree / lab.Services.Count;
        var productPercent = 100.0 * productAgree / lab.Services.Count;
        var ourMedian = Median(ours);
        var nmapMedian = Median(theirs);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"service agreement {servicePercent:0.0} % (target ≥ 95), product+version {productPercent:0.0} % (target ≥ 90), speed-up {nmapMedian / ourMedian:0.0}× (target ≥ 10); load {Load()}"));
        Summary.Print("fingerprint-wall-seconds", ourMedian, nmapMedian, "s");
        Summary.Print("fingerprint-service-agreement", servicePercent, 100, "%");
        Summary.Print("fingerprint-product-version-agreement", productPercent, 100, "%");
        return 0;
    }

    private static bool SameProductAndVersion(Identity mine, Identity reference)
    {
        if (reference.Product is null)
        {
            return mine.Product is null || mine.Service == reference.Service;
        }

        if (mine.Product is null
            || !(mine.Product.Contains(reference.Product, StringComparison.OrdinalIgnoreCase) || reference.Product.Contains(mine.Product, StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        var exact = reference.Version is { } v && !v.Contains(" or ", StringComparison.Ordinal) && !v.Contains(" - ", StringComparison.Ordinal);
        return !exact || reference.Version!.Split(' ')[0] == mine.Version;
    }

    private static Dictionary<int, Identity> ParseNmap(string xml)
    {
        var result = new Dictionary<int, Identity>();
        foreach (var port in XDocument.Parse(xml).Descendants("port"))
        {
            var service = port.Element("service");
            if (port.Element("state")?.Attribute("state")?.Value != "open" || service is null)
            {
                continue;
            }

            var name = service.Attribute("name")!.Value;
            if (service.Attribute("tunnel")?.Value == "ssl")
            {
                name = RuleDatabase.BuiltIn.TlsName(name);
            }

            result[int.Parse(port.Attribute("portid")!.Value, CultureInfo.InvariantCulture)] =
                new Identity(name, service.Attribute("product")?.Value, service.Attribute("version")?.Value);
        }

        return result;
    }

    private static Dictionary<int, Identity> ParseOutpost(string jsonLines)
    {
        var result = new Dictionary<int, Identity>();
        foreach (var line in jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var json = JsonDocument.Parse(line).RootElement;
            result[json.GetProperty("port").GetInt32()] = new Identity(json.GetProperty("service").GetString()!,
                json.TryGetProperty("product", out var product) ? product.GetString() : null,
                json.TryGetProperty("version", out var version) ? version.GetString() : null);
        }

        return result;
    }

    // Both tools as processes inside the lab's namespace; wall time from start to exit. Bounded: 5 minutes a run.
    private static (double Seconds, string Stdout) Run(string ns, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "netns", "exec", ns, file }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in 5 minutes");
        }

        var seconds = clock.Elapsed.TotalSeconds;
        return process.ExitCode == 0 ? (seconds, stdout) : throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {stderr.Result}");
    }

    // The Probe project's own output (artifacts/bin/Probe/<config>/), as the probe benchmark explains.
    private static string? LocateProbe()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var own = Path.Combine(here.Parent!.Parent!.FullName, "Probe", here.Name, "outpost-probe");
        return File.Exists(own) ? own : null;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private sealed record Identity(string Service, string? Product, string? Version)
    {
        public static readonly Identity None = new("(none)", null, null);

        public override string ToString() => string.Join(' ', new[] { Service, Product, Version }.Where(s => s is not null));
    }
}
