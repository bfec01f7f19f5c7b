using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Outpost.EndToEnd.Tests.Assets;

/// <summary>
/// A network namespace with one real nginx for the follow-up tests: HTTP on 80 and HTTPS on 443 (a self-signed
/// certificate made here with <c>openssl req</c>), serving a page with a known title. The namespace is <c>fu-…</c> on
/// 10.84.N.0/24 (nginx at .2, our end of the veth pair at .1), so nothing here reaches beyond it; the pattern is
/// tests/Shared/ServiceLab.cs's, cut down to what a chain of follow-ups needs. <see cref="DisposeAsync"/> kills
/// everything in the namespace and deletes it, the veth and the directory, also after a failure.
/// </summary>
public sealed class WebLab : IAsyncDisposable
{
    public const string Title = "Outpost follow-up lab";

    private static int _counter;
    private readonly List<Process> _processes = [];
    private bool _namespaceCreated;

    private WebLab(int slot)
    {
        var tag = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId % 10000}x{slot}");
        Namespace = "fu-" + tag;
        HostInterface = "fuv" + tag;
        Address = string.Create(CultureInfo.InvariantCulture, $"10.84.{slot}.2");
        HostAddress = string.Create(CultureInfo.InvariantCulture, $"10.84.{slot}.1");
        Directory = Path.Combine(Path.GetTempPath(), "outpost-fu-" + tag);
    }

    public string Namespace { get; }

    public string HostInterface { get; }

    /// <summary>Where nginx listens.</summary>
    public string Address { get; }

    public string HostAddress { get; }

    public string Directory { get; }

    public static async Task<WebLab> StartAsync()
    {
        var slot = 1 + ((Interlocked.Increment(ref _counter) + (Environment.ProcessId % 50 * 4)) % 250);
        var lab = new WebLab(slot);
        try
        {
            await lab.SetUpAsync();
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }

        return lab;
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

        if (_namespaceCreated)
        {
            foreach (var pid in Exec("ip", "netns", "pids", Namespace).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Exec("kill", "-9", pid.Trim());
            }

            Exec("ip", "netns", "del", Namespace);
            Exec("ip", "link", "del", HostInterface);
        }

        foreach (var process in _processes)
        {
            using var reaped = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(reaped.Token);
            }
            catch (OperationCanceledException)
            {
                // Gone with the namespace; its exit status is of no interest.
            }

            process.Dispose();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Removed by the next /tmp cleanup.
        }
    }

    private async Task SetUpAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        Run("chmod", "755", Directory);
        Run("ip", "netns", "add", Namespace);
        _namespaceCreated = true;
        Run("ip", "link", "add", HostInterface, "type", "veth", "peer", "name", "veth0", "netns", Namespace);
        Run("ip", "addr", "add", HostAddress + "/24", "dev", HostInterface);
        Run("ip", "link", "set", HostInterface, "up");
        Run("ip", "-n", Namespace, "addr", "add", Address + "/24", "dev", "veth0");
        Run("ip", "-n", Namespace, "link", "set", "veth0", "up");
        Run("ip", "-n", Namespace, "link", "set", "lo", "up");

        var d = Directory;
        Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", Path.Combine(d, "self.key"), "-out", Path.Combine(d, "self.crt"),
            "-days", "365", "-subj", "/CN=fu-web.test/O=Outpost Lab", "-addext", $"subjectAltName=DNS:fu-web.test,IP:{Address}");
        Run("chmod", "644", Path.Combine(d, "self.key"));
        var root = Path.Combine(d, "www");
        System.IO.Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "index.html"), $"<html><head><title>{Title}</title></head><body><a href=\"/about.html\">about</a></body></html>\n");
        File.WriteAllText(Path.Combine(root, "about.html"), $"<html><head><title>{Title}: about</title></head><body>about</body></html>\n");
        var config = Path.Combine(d, "nginx.conf");
        File.WriteAllText(config, $$"""
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
              server { listen {{Address}}:80; root {{root}}; }
              server { listen {{Address}}:443 ssl; ssl_certificate {{d}}/self.crt; ssl_certificate_key {{d}}/self.key; root {{root}}; }
            }
            """);
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in new[] { "netns", "exec", Namespace, "sh", "-c", "exec \"$@\" >\"$0\" 2>&1", Path.Combine(d, "nginx.log"), "nginx", "-p", d, "-c", config })
        {
            start.ArgumentList.Add(argument);
        }

        _processes.Add(Process.Start(start) ?? throw new InvalidOperationException("cannot start nginx"));

        // Handshake, not a sleep: both ports accept before the lab is handed out.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var port in new[] { 80, 443 })
        {
            while (true)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(Address, port, deadline.Token);
                    break;
                }
                catch (SocketException)
                {
                    await Task.Delay(100, deadline.Token);
                }
            }
        }
    }

    private static void Run(string file, params string[] arguments)
    {
        var (code, stdout, stderr) = Exec(file, arguments);
        if (code != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({code}): {stdout}{stderr}");
        }
    }

    private static (int Code, string Stdout, string Stderr) Exec(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
