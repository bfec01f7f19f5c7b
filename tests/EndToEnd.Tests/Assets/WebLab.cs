using System.Net.Sockets;
using Outpost.Testing;
using static Outpost.Testing.LabNamespace;

namespace Outpost.EndToEnd.Tests.Assets;

/// <summary>
/// A network namespace with one real nginx for the inventory's end-to-end tests: by default HTTP on 80 and HTTPS on
/// 443 (a self-signed certificate made here with <c>openssl req</c>), serving a page with a known title; a test can
/// serve other ports or another certificate later (<see cref="ServeAsync"/>). The namespace is a
/// <see cref="LabNamespace"/>, <c>&lt;prefix&gt;-…</c> on 10.&lt;range&gt;.N.0/24 (nginx at .2, our end of the veth
/// pair at .1; the follow-up tests' <c>fu-</c> on 10.84.0.0/16 unless a test names its own), so nothing here reaches
/// beyond it. <see cref="DisposeAsync"/> kills everything in the namespace and deletes it, the veth and the directory,
/// also after a failure.
/// </summary>
public sealed class WebLab : IAsyncDisposable
{
    public const string Title = "Outpost follow-up lab";

    private readonly LabNamespace _network;
    private WebServing? _serving;

    private WebLab(LabNamespace network) => _network = network;

    /// <summary>Where nginx listens.</summary>
    public string Address => _network.Address;

    /// <summary>The certificate nginx serves on its HTTPS ports now (PEM).</summary>
    public string Certificate => Path.Combine(_network.Directory, _serving!.CommonName + ".crt");

    /// <summary>The follow-up tests' lab: fu-… on 10.84.0.0/16, HTTP on 80, HTTPS on 443 with a certificate for fu-web.test.</summary>
    public static Task<WebLab> StartAsync() => StartAsync("fu", 84, new WebServing([80], [443], "fu-web.test"));

    /// <param name="prefix">The namespace's name prefix (a test's own).</param>
    /// <param name="range">The second octet of the test's 10.x.0.0/16.</param>
    /// <param name="serving">What nginx serves first.</param>
    public static Task<WebLab> StartAsync(string prefix, int range, WebServing serving) =>
        LabNamespace.StartAsync(prefix, range, network => new WebLab(network), lab => lab.ServeAsync(serving));

    public ValueTask DisposeAsync() => _network.DisposeAsync();

    /// <summary>
    /// Serves <paramref name="serving"/>: the ports it no longer lists refuse connections and the new ones accept
    /// before this returns; a common name not served before gets a new key and certificate.
    /// </summary>
    public async Task ServeAsync(WebServing serving)
    {
        var d = _network.Directory;
        var certificate = Path.Combine(d, serving.CommonName + ".crt");
        var key = Path.Combine(d, serving.CommonName + ".key");
        if (!File.Exists(certificate))
        {
            Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "365",
                "-subj", $"/CN={serving.CommonName}/O=Outpost Lab", "-addext", $"subjectAltName=DNS:{serving.CommonName},IP:{Address}");
            Run("chmod", "644", key);
        }

        var root = Path.Combine(d, "www");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "index.html"), $"<html><head><title>{Title}</title></head><body><a href=\"/about.html\">about</a></body></html>\n");
        File.WriteAllText(Path.Combine(root, "about.html"), $"<html><head><title>{Title}: about</title></head><body>about</body></html>\n");
        var servers = string.Join("\n  ", serving.HttpPorts.Select(port => $"server {{ listen {Address}:{port}; root {root}; }}")
            .Concat(serving.HttpsPorts.Select(port => $"server {{ listen {Address}:{port} ssl; ssl_certificate {certificate}; ssl_certificate_key {key}; root {root}; }}")));
        var before = _serving;
        if (before is null)
        {
            _network.StartNginx(servers);
        }
        else
        {
            _network.ReloadNginx(servers);
        }

        _serving = serving;

        // Handshakes, not sleeps: every port answers as this serving says before the lab is handed back.
        await _network.WaitForListenersAsync(serving.Ports, TimeSpan.FromSeconds(30));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
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
}

/// <summary>What the lab's nginx serves: plain HTTP ports, HTTPS ports, and the common name of their certificate.</summary>
public sealed record WebServing(int[] HttpPorts, int[] HttpsPorts, string CommonName)
{
    public IEnumerable<int> Ports => HttpPorts.Concat(HttpsPorts);
}
