using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Outpost.Testing;

/// <summary>
/// The plumbing under every lab of real daemons (<c>ServiceLab</c>, <c>VulnLab</c>, <c>WebLab</c>): a network namespace
/// <c>{prefix}-…</c> joined to ours by a veth pair on 10.{range}.N.0/24 (the daemons at .2, our end at .1), so nothing
/// a lab runs can reach beyond it, and a temp directory for the daemons' configuration and logs. Each lab keeps its own
/// prefix and range, so labs of different test projects never collide. <see cref="DisposeAsync"/> kills everything in
/// the namespace and deletes it, the veth and the directory, even after a failure. Self-contained on purpose (no test
/// framework): test projects and the benchmark link this file.
/// </summary>
public sealed class LabNamespace : IAsyncDisposable
{
    private static int _counter;
    private readonly List<Process> _processes = [];
    private bool _created;

    private LabNamespace(string prefix, int range, int slot)
    {
        var tag = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId % 10000}x{slot}");
        Name = prefix + "-" + tag;
        HostInterface = prefix + "v" + tag;
        Address = string.Create(CultureInfo.InvariantCulture, $"10.{range}.{slot}.2");
        HostAddress = string.Create(CultureInfo.InvariantCulture, $"10.{range}.{slot}.1");
        Directory = Path.Combine(Path.GetTempPath(), $"outpost-{prefix}-{tag}");
    }

    public string Name { get; }

    public string HostInterface { get; }

    /// <summary>The namespace's end of the veth pair: where the daemons listen.</summary>
    public string Address { get; }

    /// <summary>Our end of the veth pair.</summary>
    public string HostAddress { get; }

    /// <summary>The lab's temp directory (world-readable, for daemons that drop privileges).</summary>
    public string Directory { get; }

    /// <summary>
    /// Starts a lab: creates the namespace <c>{prefix}-…</c> on a /24 of 10.<paramref name="range"/>.0.0/16 with its
    /// directory, hands it to <paramref name="create"/> and runs <paramref name="setUp"/> on the lab; when anything
    /// fails, everything is removed again before the exception goes on.
    /// </summary>
    public static async Task<TLab> StartAsync<TLab>(string prefix, int range, Func<LabNamespace, TLab> create, Func<TLab, Task> setUp)
    {
        // A /24 per lab, from the pid (concurrent test runs and benchmarks) and a counter (labs in one process).
        var slot = 1 + ((Interlocked.Increment(ref _counter) + (Environment.ProcessId % 50 * 4)) % 250);
        var network = new LabNamespace(prefix, range, slot);
        try
        {
            network.SetUp();
            var lab = create(network);
            await setUp(lab).ConfigureAwait(false);
            return lab;
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs a command on the host; returns its stdout, throws with its stderr when it fails.</summary>
    public static string Run(string file, params string[] arguments)
    {
        var (code, stdout, stderr) = Exec(file, arguments);
        return code == 0 ? stdout : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({code}): {stderr}");
    }

    /// <summary>Runs a command on the host; returns its exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Exec(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in 120 s");
        }

        return (process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>Starts <paramref name="file"/> inside the namespace, its output in <c>{name}.log</c> in the directory.</summary>
    public void Start(string name, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, UseShellExecute = false };
        // Output to a log in the lab directory (read it when a daemon does not come up); exec keeps one process to kill.
        foreach (var argument in new[] { "netns", "exec", Name, "sh", "-c", "exec \"$@\" >\"$0\" 2>&1", Path.Combine(Directory, name + ".log"), file }
            .Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        // A lab may start daemons from two threads (ServiceLab sets PostgreSQL up beside the rest).
        lock (_processes)
        {
            _processes.Add(process);
        }
    }

    /// <summary>
    /// Starts nginx in the foreground inside the namespace, its pid, logs and temp files in the directory;
    /// <paramref name="http"/> is what its <c>http</c> block holds besides (the servers and what they use).
    /// </summary>
    public void StartNginx(string http) => Start("nginx", "nginx", "-p", Directory, "-c", WriteNginxConfig(http));

    /// <summary>
    /// Has the running nginx serve <paramref name="http"/> instead: it re-reads its configuration (SIGHUP), opening the
    /// new listeners and closing the ones no longer named.
    /// </summary>
    public void ReloadNginx(string http) => Run("ip", "netns", "exec", Name, "nginx", "-p", Directory, "-c", WriteNginxConfig(http), "-s", "reload");

    private string WriteNginxConfig(string http)
    {
        var d = Directory;
        return Write("nginx.conf", $$"""
            daemon off;
            user root;
            worker_processes 1;
            pid {{d}}/nginx.pid;
            error_log {{d}}/nginx-error.log;
            events { worker_connections 512; }
            http {
              access_log off;
              client_body_temp_path {{d}}/nginx-body; proxy_temp_path {{d}}/nginx-proxy; fastcgi_temp_path {{d}}/nginx-fcgi;
              uwsgi_temp_path {{d}}/nginx-uwsgi; scgi_temp_path {{d}}/nginx-scgi;
            {{http}}
            }
            """);
    }

    /// <summary>Writes a file into the lab directory; returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>
    /// Returns once every port accepts a connection at <see cref="Address"/> (a handshake, not a sleep); after
    /// <paramref name="timeout"/> throws with the daemons' logs.
    /// </summary>
    public async Task WaitForListenersAsync(IEnumerable<int> ports, TimeSpan timeout, CancellationToken ct = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        foreach (var port in ports)
        {
            await WaitForListenerAsync(port, timeout, deadline.Token).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        if (_created)
        {
            // Daemons that detached from their starter (Postfix's master, PostgreSQL's children) are still in the
            // namespace: everything in it goes.
            foreach (var pid in Exec("ip", "netns", "pids", Name).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Exec("kill", "-9", pid.Trim());
            }

            Exec("ip", "netns", "del", Name);
            Exec("ip", "link", "del", HostInterface);
        }

        foreach (var process in _processes)
        {
            // Killed above with everything in the namespace; a process that takes longer to be reaped is not waited for.
            using var reaped = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(reaped.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Gone from the namespace, which is deleted; its exit status is of no interest.
            }

            process.Dispose();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed by the next /tmp cleanup.
        }
    }

    private void SetUp()
    {
        System.IO.Directory.CreateDirectory(Directory);
        Run("chmod", "755", Directory);
        Run("ip", "netns", "add", Name);
        _created = true;
        Run("ip", "link", "add", HostInterface, "type", "veth", "peer", "name", "veth0", "netns", Name);
        Run("ip", "addr", "add", HostAddress + "/24", "dev", HostInterface);
        Run("ip", "link", "set", HostInterface, "up");
        Run("ip", "-n", Name, "addr", "add", Address + "/24", "dev", "veth0");
        Run("ip", "-n", Name, "link", "set", "veth0", "up");
        Run("ip", "-n", Name, "link", "set", "lo", "up");
    }

    private async Task WaitForListenerAsync(int port, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(Address, port, ct).ConfigureAwait(false);
                    return;
                }
                catch (SocketException)
                {
                    await Task.Delay(100, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            var logs = string.Join("\n", System.IO.Directory.GetFiles(Directory, "*.log").Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));
            throw new InvalidOperationException($"nothing listens on {Address}:{port} after {timeout.TotalSeconds:0} s; daemon logs:\n{logs}");
        }
    }
}
