using Outpost.Testing;
using static Outpost.Testing.LabNamespace;

namespace Outpost.EndToEnd.Tests.Assets;

/// <summary>
/// A network namespace with one real nginx for the follow-up tests: HTTP on 80 and HTTPS on 443 (a self-signed
/// certificate made here with <c>openssl req</c>), serving a page with a known title. The namespace is a
/// <see cref="LabNamespace"/>, <c>fu-…</c> on 10.84.N.0/24 (nginx at .2, our end of the veth pair at .1), so nothing
/// here reaches beyond it. <see cref="DisposeAsync"/> kills everything in the namespace and deletes it, the veth and
/// the directory, also after a failure.
/// </summary>
public sealed class WebLab : IAsyncDisposable
{
    public const string Title = "Outpost follow-up lab";

    private readonly LabNamespace _network;

    private WebLab(LabNamespace network) => _network = network;

    /// <summary>Where nginx listens.</summary>
    public string Address => _network.Address;

    public static Task<WebLab> StartAsync() =>
        LabNamespace.StartAsync("fu", 84, network => new WebLab(network), lab => lab.SetUpAsync());

    public ValueTask DisposeAsync() => _network.DisposeAsync();

    private async Task SetUpAsync()
    {
        var d = _network.Directory;
        Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", Path.Combine(d, "self.key"), "-out", Path.Combine(d, "self.crt"),
            "-days", "365", "-subj", "/CN=fu-web.test/O=Outpost Lab", "-addext", $"subjectAltName=DNS:fu-web.test,IP:{Address}");
        Run("chmod", "644", Path.Combine(d, "self.key"));
        var root = Path.Combine(d, "www");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "index.html"), $"<html><head><title>{Title}</title></head><body><a href=\"/about.html\">about</a></body></html>\n");
        File.WriteAllText(Path.Combine(root, "about.html"), $"<html><head><title>{Title}: about</title></head><body>about</body></html>\n");
        _network.StartNginx($$"""
              server { listen {{Address}}:80; root {{root}}; }
              server { listen {{Address}}:443 ssl; ssl_certificate {{d}}/self.crt; ssl_certificate_key {{d}}/self.key; root {{root}}; }
            """);

        // Handshake, not a sleep: both ports accept before the lab is handed out.
        await _network.WaitForListenersAsync([80, 443], TimeSpan.FromSeconds(30));
    }
}
