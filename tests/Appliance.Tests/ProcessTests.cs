using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>The daemon as systemd and an installer see it: notifications, SIGTERM, first-start secrets, HTTPS.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class ProcessTests
{
    [Fact]
    public async Task Under_systemd_it_notifies_ready_watchdog_and_stopping_and_sigterm_closes_the_store_cleanly()
    {
        using var directory = new TempDirectory();
        var socketPath = Path.Combine(directory.Path, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var messages = new List<string>();

        using (var daemon = await DaemonProcess.StartAsync(directory, environment: new Dictionary<string, string?>
        {
            ["NOTIFY_SOCKET"] = socketPath,
            ["WATCHDOG_USEC"] = "200000",
        }))
        {
            await ReceiveUntilAsync(notify, messages, "READY=1");
            await ReceiveUntilAsync(notify, messages, "WATCHDOG=1");
            using (var api = new Api(daemon.BaseAddress))
            {
                await api.CreateScannerAsync("kept");
            }

            daemon.Terminate();
            await ReceiveUntilAsync(notify, messages, "STOPPING=1");
            Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the daemon did not exit after SIGTERM");
            Assert.Equal(0, daemon.ExitCode);
        }

        using (var daemon = await DaemonProcess.StartAsync(directory))
        using (var api = new Api(daemon.BaseAddress))
        {
            var scanner = Assert.Single((await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json.GetProperty("scanners").EnumerateArray());
            Assert.Equal("kept", scanner.GetProperty("name").GetString());
            // A clean shutdown checkpointed everything: nothing to replay.
            await daemon.WaitForOutputAsync(new Regex("0 log entries replayed"), TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task First_start_without_a_token_writes_one_owner_only_and_https_gets_a_self_signed_certificate()
    {
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory, "https://127.0.0.1:0", new Dictionary<string, string?> { ["OUTPOST_ADMIN_TOKEN"] = null });

        var tokenFile = Path.Combine(directory.Path, "data", "admin-token");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        var token = File.ReadAllText(tokenFile).Trim();
        Assert.True(token.Length >= 40);
        Assert.Contains(tokenFile, daemon.Output, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory.Path, "data", "tls", "outpost.key")));

        var fingerprint = Fingerprint().Match(await daemon.WaitForOutputAsync(Fingerprint(), TimeSpan.FromSeconds(5))).Groups[1].Value;
        // Pin the logged fingerprint, as an admin or a scanner node does with a self-signed appliance.
        var pinned = 0;
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    var matches = certificate is not null && Hosting.TlsCertificate.Fingerprint(new X509Certificate2(certificate)) == fingerprint;
                    Interlocked.Increment(ref pinned);
                    return matches;
                },
            },
        }) { BaseAddress = daemon.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/session");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.True(pinned > 0);
        using var facts = new HttpRequestMessage(HttpMethod.Get, "/api/appliance");
        facts.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var appliance = await http.SendAsync(facts);
        Assert.Contains($"\"tlsFingerprint\":\"{fingerprint}\"", await appliance.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Over TLS: HSTS on every answer, and the session cookie bound to this host and to TLS (__Host-, Secure).
        Assert.Equal("max-age=31536000", string.Join(",", appliance.Headers.GetValues("Strict-Transport-Security")));
        using var login = await http.PostAsync(new Uri("/api/session", UriKind.Relative),
            new StringContent($"{{\"secret\":\"{token}\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.NoContent, login.StatusCode);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("__Host-outpost_session=", cookie, StringComparison.Ordinal);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task ReceiveUntilAsync(Socket socket, List<string> messages, string wanted)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        while (!messages.Any(m => m.Split('\n').Contains(wanted)))
        {
            var length = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            messages.Add(Encoding.UTF8.GetString(buffer, 0, length));
        }
    }

    [GeneratedRegex("SHA-256 fingerprint ([0-9A-F:]+)")]
    private static partial Regex Fingerprint();
}
