using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Outpost.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The built <c>outpost-probe node</c> as a separate process, talking to a daemon over real HTTP. Its log (stderr) is
/// collected so tests can wait for what it says (a handshake with the node, polled against a deadline).
/// </summary>
public sealed class ProbeNodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly Lock _gate = new();

    private ProbeNodeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Collect(e.Data);
        process.ErrorDataReceived += (_, e) => Collect(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public bool HasExited => _process.HasExited;

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

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts <c>outpost-probe node --appliance URL --api-key KEY</c> with a short idle poll, plus <paramref name="extra"/>
    /// flags. Its config file is an empty one in <paramref name="directory"/>, so an installed /etc/outpost/probe.json
    /// cannot leak into a test.
    /// </summary>
    public static ProbeNodeProcess Start(Uri appliance, string apiKey, string directory, params string[] extra)
    {
        var config = Path.Combine(directory, "probe.json");
        File.WriteAllText(config, "{}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { ProbeBinary, "node", "--appliance", appliance.ToString(), "--api-key", apiKey,
                     "--poll-interval", "0.3", "--config", config }.Concat(extra))
        {
            info.ArgumentList.Add(arg);
        }

        return new ProbeNodeProcess(Process.Start(info)!);
    }

    /// <summary>Polls the node's log for a line containing <paramref name="text"/> until the deadline.</summary>
    public async Task<string> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_gate)
            {
                foreach (var line in _output)
                {
                    if (line.Contains(text, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }
            }

            if (_process.HasExited)
            {
                break;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"the node did not log \"{text}\"; its output:\n{Output}");
    }

    /// <summary>SIGTERM, as systemd stops the node.</summary>
    public void Terminate() => Assert.Equal(0, SendSignal(_process.Id, 15));

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Collect(string? line)
    {
        if (line is not null)
        {
            lock (_gate)
            {
                _output.Add(line);
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
