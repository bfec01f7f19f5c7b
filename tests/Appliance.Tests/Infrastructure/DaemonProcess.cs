using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Outpost.Appliance.Tests.Infrastructure;

/// <summary>
/// The built <c>outpost</c> daemon as a separate process, for what an in-process host cannot show: <c>kill -9</c>,
/// SIGTERM, systemd notifications, first-start files. It listens on a port the kernel picks; the port is read from
/// its "Now listening on" log line (polled with a deadline, the one wait allowed for process start).
/// </summary>
public sealed partial class DaemonProcess : ObservedProcess
{
    private DaemonProcess(Process process)
        : base(process)
    {
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>
    /// Starts <c>outpost --data-dir … --urls … --config …</c> and waits until it listens; <paramref name="scanners"/> is
    /// the config's <c>Scanners</c> section (see <see cref="TempDirectory.WriteTestConfig"/>).
    /// </summary>
    public static async Task<DaemonProcess> StartAsync(TempDirectory directory, string urls = "http://127.0.0.1:0",
        IReadOnlyDictionary<string, string?>? environment = null, bool builtInScanner = false, string? scanners = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "outpost.dll"));
        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(Path.Combine(directory.Path, "data"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(urls);
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(directory.WriteTestConfig(builtInScanner, scanners));
        info.Environment["OUTPOST_ADMIN_TOKEN"] = Daemon.AdminToken;
        info.Environment.Remove("NOTIFY_SOCKET");
        info.Environment.Remove("WATCHDOG_USEC");
        info.Environment.Remove("JOURNAL_STREAM");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        var daemon = new DaemonProcess(Process.Start(info)!);
        var line = await daemon.WaitForOutputAsync(ListeningLine(), TimeSpan.FromSeconds(60));
        daemon.BaseAddress = new Uri(ListeningLine().Match(line).Groups[1].Value);
        return daemon;
    }

    /// <summary>Polls the daemon's output for a line matching <paramref name="pattern"/> until the deadline.</summary>
    public Task<string> WaitForOutputAsync(Regex pattern, TimeSpan timeout) =>
        WaitForLineAsync(pattern.IsMatch, timeout, $"the daemon did not print /{pattern}/");

    [GeneratedRegex(@"Now listening on: (\S+)")]
    private static partial Regex ListeningLine();
}
