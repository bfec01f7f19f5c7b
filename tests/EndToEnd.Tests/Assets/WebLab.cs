using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Outpost.EndToEnd.Tests.Assets;

/// <summary>
/// A network namespace with one real nginx for the inventory's end-to-end tests: by default HTTP on 80 and HTTPS on
/// 443 (a self-signed certificate made here with <c>openssl req</c>), serving a page with a known title; a test can
/// serve other ports or another certificate later (<see cref="ServeAsync"/>). The namespace is
/// <c>&lt;prefix&gt;-…</c> on 10.&lt;network&gt;.N.0/24 (nginx at .2, our end of the veth pair at .1; the follow-up
/// tests' <c>fu-</c> on 10.84.0.0/16 unless a test names its own), so nothing here reaches beyond it; the pattern is
/// tests/Shared/ServiceLab.cs's, cut down to web servers. <see cref="DisposeAsync"/> kills everything in the namespace
/// and deletes it, the veth and the directory, also after a failure.
/// </summary>
public sealed class WebLab : IAsyncDisposable
{
    public const string Title = "Outpost follow-up lab";

    private static int _counter;
    private readonly List<Process> _processes = [];
    private bool _namespaceCreated;
    private Process? _nginx;
    private WebServing? _serving;

    private WebLab(string prefix, int network, int slot)
    {
        var tag = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId % 10000}x{slot}");
        Namespace = prefix + "-" + tag;
        HostInterface = prefix + "v" + tag;
        Address = string.Create(CultureInfo.InvariantCulture, $"10.{network}.{slot}.2");
        HostAddress = string.Create(CultureInfo.InvariantCulture, $"10.{network}.{slot}.1");
        Directory = Path.Combine(Path.GetTempPath(), $"outpost-{prefix}-{tag}");
    }

    public string Namespace { get; }

    public string HostInterface { get; }

    /// <summary>Where nginx listens.</summary>
    public string Address { get; }

    public string HostAddress { get; }

    public string Directory { get; }

    /// <summary>The certificate nginx serves on its HTTPS ports now (PEM).</summary>
    public string Certificate => Path.Combine(Directory, _serving!.CommonName + ".crt");

    /// <summary>The follow-up tests' lab: fu-… on 10.84.0.0/16, HTTP on 80, HTTPS on 443 with a certificate for fu-web.test.</summary>
    public static Task<WebLab> StartAsync() => StartAsync("fu", 84, new WebServing([80], [443], "fu-web.test"));

    /// <param name="prefix">The namespace's name prefix (a test's own).</param>
    /// <param name="network">The second octet of the test's 10.x.0.0/16.</param>
    /// <param name="serving">What nginx serves first.</param>
    public static async Task<WebLab> StartAsync(string prefix, int network, WebServing serving)
    {
        var slot = 1 + ((Interlocked.Increment(ref _counter) + (Environment.ProcessId % 50 * 4)) % 250);
        var lab = new WebLab(prefix, network, slot);
        try
        {
            await lab.SetUpAsync(serving);
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

    /// <summary>
    /// Restarts nginx to serve <paramref name="serving"/>: the ports it no longer lists refuse connections and the new
    /// ones accept before this returns; a common name not served before gets a new key and certificate.
    /// </summary>
    public async Task ServeAsync(WebServing serving)
    {
        if (_nginx is { } running)
        {
            running.Kill(entireProcessTree: true);
            await running.WaitForExitAsync();
        }

        var d = Directory;
        var certificate = Path.Combine(d, serving.CommonName + ".crt");
        var key = Path.Combine(d, serving.CommonName + ".key");
        if (!File.Exists(certificate))
        {
            Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "365",
                "-subj", $"/CN={serving.CommonName}/O=Outpost Lab", "-addext", $"subjectAltName=DNS:{serving.CommonName},IP:{Address}");
            Run("chmod", "644", key);
        }

        var root = Path.Combine(d, "www");
        var servers = serving.HttpPorts.Select(port => $"server {{ listen {Address}:{port}; root {root}; }}")
            .Concat(serving.HttpsPorts.Select(port => $"server {{ listen {Address}:{port} ssl; ssl_certificate {certificate}; ssl_certificate_key {key}; root {root}; }}"));
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
              {{string.Join("\n  ", servers)}}
            }
            """);
        var start = new ProcessStartInfo("ip") { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in new[] { "netns", "exec", Namespace, "sh", "-c", "exec \"$@\" >>\"$0\" 2>&1", Path.Combine(d, "nginx.log"), "nginx", "-p", d, "-c", config })
        {
            start.ArgumentList.Add(argument);
        }

        _nginx = Process.Start(start) ?? throw new InvalidOperationException("cannot start nginx");
        _processes.Add(_nginx);
        var before = _serving;
        _serving = serving;

        // Handshakes, not sleeps: every port answers as this serving says before the lab is handed back.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var port in serving.Ports)
        {
            while (!await AcceptsAsync(port, deadline.Token))
            {
                await Task.Delay(100, deadline.Token);
            }
        }

        foreach (var port in (before?.Ports ?? []).Except(serving.Ports))
        {
            while (await AcceptsAsync(port, deadline.Token))
            {
                await Task.Delay(100, deadline.Token);
            }
        }
    }

    private async Task<bool> AcceptsAsync(int port, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(Address, port, ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private async Task SetUpAsync(WebServing serving)
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

        var root = Path.Combine(Directory, "www");
        System.IO.Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "index.html"), $"<html><head><title>{Title}</title></head><body><a href=\"/about.html\">about</a></body></html>\n");
        File.WriteAllText(Path.Combine(root, "about.html"), $"<html><head><title>{Title}: about</title></head><body>about</body></html>\n");
        await ServeAsync(serving);
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

/// <summary>What the lab's nginx serves: plain HTTP ports, HTTPS ports, and the common name of their certificate.</summary>
public sealed record WebServing(int[] HttpPorts, int[] HttpsPorts, string CommonName)
{
    public IEnumerable<int> Ports => HttpPorts.Concat(HttpsPorts);
}
