using System.Diagnostics;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The built <c>outpost-probe node</c> as a separate process, talking to a daemon over real HTTP. Its log (stderr) is
/// collected so tests can wait for what it says (a handshake with the node, polled against a deadline).
/// </summary>
public sealed class ProbeNodeProcess : ObservedProcess
{
    private ProbeNodeProcess(Process process)
        : base(process)
    {
    }

    /// <summary>
    /// outpost-probe.dll in the probe project's own output, laid out as its package installs it. The copy beside this
    /// test assembly cannot run: this project references the appliance, so the build resolves the probe's
    /// Microsoft.Extensions.Logging.Abstractions to ASP.NET Core's shared framework, which the probe does not load.
    /// Build output is artifacts/bin/&lt;project&gt;/&lt;pivot&gt;/, so the probe's is a sibling of ours.
    /// </summary>
    public static string ProbeBinary
    {
        get
        {
            var ours = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var path = Path.Combine(ours.Parent!.Parent!.FullName, "Probe", ours.Name, "outpost-probe.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("the probe's build output is not where the artifacts layout puts it", path);
        }
    }

    /// <summary>
    /// Starts <c>outpost-probe node --appliance URL --api-key KEY</c> with a short idle poll, plus <paramref name="extra"/>
    /// flags. Test daemons listen on loopback, mostly over plain HTTP, and some tests scan loopback, so the node gets
    /// <c>--allow-loopback</c>, and <c>--insecure-http</c> for an http:// URL. Its config file is an empty one in <paramref name="directory"/>, so an installed /etc/outpost/probe.json
    /// cannot leak into a test.
    /// </summary>
    public static ProbeNodeProcess Start(Uri appliance, string apiKey, string directory, params string[] extra)
    {
        var config = Path.Combine(directory, "probe.json");
        File.WriteAllText(config, "{}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { ProbeBinary, "node", "--appliance", appliance.ToString(), "--api-key", apiKey,
                     "--poll-interval", "0.3", "--config", config, "--allow-loopback" }
                     .Concat(appliance.Scheme == Uri.UriSchemeHttp ? ["--insecure-http"] : Array.Empty<string>()).Concat(extra))
        {
            info.ArgumentList.Add(arg);
        }

        return new ProbeNodeProcess(Process.Start(info)!);
    }

    /// <summary>Polls the node's log for a line containing <paramref name="text"/> until the deadline.</summary>
    public Task<string> WaitForOutputAsync(string text, TimeSpan timeout) =>
        WaitForLineAsync(line => line.Contains(text, StringComparison.Ordinal), timeout, $"the node did not log \"{text}\"");
}
