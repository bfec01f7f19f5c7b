using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Outpost.Ui.Tests.Infrastructure;

/// <summary>
/// The real appliance daemon as a child process: the outpost.dll that the project reference
/// copies beside the tests, a throw-away data directory, a free loopback port and a known admin
/// token. Started once per test class; killed (its process tree only) when the class is done.
/// </summary>
public sealed class Daemon : IAsyncDisposable
{
    public const string AdminToken = "ui-test-admin-token-7c1e9a52d4b83f06";

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly string _dataDir;

    private Daemon(Process process, string dataDir, Uri baseUri)
    {
        _process = process;
        _dataDir = dataDir;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>The daemon's data directory (its records.db, for tests that seed records no API writes).</summary>
    public string DataDirectory => _dataDir;

    /// <summary>Everything the daemon printed so far, for failure messages.</summary>
    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    public static async Task<Daemon> StartAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "outpost.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"outpost.dll not found beside the tests ({dll}): the Appliance project reference should copy it.");
        }

        var port = FreePort();
        var baseUri = new Uri($"http://127.0.0.1:{port}");
        var dataDir = Directory.CreateTempSubdirectory("outpost-ui-").FullName;
        var psi = new ProcessStartInfo("dotnet")
        {
            // The daemon serves wwwroot from beside outpost.dll (the build copies it there), not from its working directory.
            WorkingDirectory = dataDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--data-dir", dataDir, "--urls", baseUri.ToString().TrimEnd('/') })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["OUTPOST_ADMIN_TOKEN"] = AdminToken;
        // The seeded scanners are the page's whole list: the appliance's own scanner stays off.
        psi.Environment["Outpost__BuiltInScanner__Enabled"] = "false";
        // The lab addresses have no PTR records, and the test machine's resolver is not to be asked about them.
        psi.Environment["Outpost__Inventory__ReverseDns__Enabled"] = "false";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var daemon = new Daemon(process, dataDir, baseUri);
        process.OutputDataReceived += (_, e) => daemon.Append(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("could not start `dotnet outpost.dll`");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await daemon.WaitReadyAsync(TimeSpan.FromSeconds(60));
        return daemon;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    /// <summary>Polls /readyz (store recovered and serving) until it answers 200, the process dies or the deadline passes.</summary>
    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the daemon exited with code {_process.ExitCode} before it was ready:\n{Log}");
            }

            try
            {
                using var res = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
                if (res.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // a slow first request while the store recovers
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the daemon did not answer 200 on /readyz within {timeout.TotalSeconds} s:\n{Log}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The repository root, found from this source file's compile-time path (tests/Ui.Tests/Infrastructure).</summary>
    public static string RepoRoot()
    {
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "..", ".."));
        return File.Exists(Path.Combine(root, "Appliance.sln"))
            ? root
            : throw new InvalidOperationException($"the repository root was expected at {root} (no Appliance.sln there)");
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_dataDir, recursive: true);
            }
            catch (IOException)
            {
                // a file still held by the dying process: the temp dir is cleaned by the OS later
            }
        }
    }
}
