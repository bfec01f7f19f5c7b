using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Appliance.Vulnerabilities;

namespace Outpost.Appliance.Tests.Notifications;

/// <summary>
/// Notifications end to end on loopback: a webhook receiver and syslog UDP and TCP listeners the test runs, the real
/// daemon's outbox and delivery loop (short retry delays), signatures checked with the secret, RFC 5424 fields parsed.
/// </summary>
public sealed partial class NotificationTests
{
    private const string Secret = "s3cret-for-hmac";
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Put = HttpMethod.Put;
    private static readonly HttpMethod Post = HttpMethod.Post;

    private static readonly Dictionary<string, string?> FastRetries = new()
    {
        ["Outpost:Notifications:PollInterval"] = "00:00:00.100",
        ["Outpost:Notifications:RetryDelay"] = "00:00:00.050",
        ["Outpost:Notifications:MaxRetries"] = "2",
    };

    private static readonly VulnerabilityObservation Critical =
        new("redis-no-auth", "Redis without authentication", "critical", "10.85.0.2", 6379, "PONG", "Set requirepass.", []);

    private static readonly VulnerabilityObservation Low =
        new("tls-certificate-self-signed", "Self-signed certificate", "low", "10.85.0.4", 443, "issuer = subject", null, []);

    [Fact]
    public async Task A_webhook_gets_signed_events_at_or_above_the_severity_and_is_retried_after_a_500()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 1);
        await using var broken = await WebhookReceiver.StartAsync(failFirst: int.MaxValue);
        await using var daemon = await Daemon.StartAsync(FastRetries);
        var api = daemon.Api;
        var saved = (await api.AdminAsync(Put, "/api/settings/notifications", new
        {
            minimumSeverity = "high",
            webhooks = new object[] { new { url = receiver.Url, secret = Secret }, new { url = broken.Url } },
        })).AssertOk().Json;
        // The secret is never shown back, only that one is set.
        Assert.Equal((true, JsonValueKind.Null), (saved.GetProperty("webhooks")[0].GetProperty("hasSecret").GetBoolean(),
            saved.GetProperty("webhooks")[0].GetProperty("secret").ValueKind));
        Assert.DoesNotContain(Secret, (await api.AdminAsync(Get, "/api/settings/notifications")).AssertOk().Body, StringComparison.Ordinal);

        await daemon.Service<VulnerabilityLedger>().RecordRunAsync(1, [], [Critical, Low], CancellationToken.None);
        var deliveries = await WaitForDeliveriesAsync(api, 2);

        var delivered = Assert.Single(deliveries, d => d.GetProperty("target").GetString() == receiver.Url);
        Assert.Equal(("delivered", 2, "vulnerability.opened", "webhook"), (delivered.GetProperty("status").GetString(), delivered.GetProperty("attempts").GetInt32(),
            delivered.GetProperty("event").GetString(), delivered.GetProperty("channel").GetString()));
        var failed = Assert.Single(deliveries, d => d.GetProperty("target").GetString() == broken.Url);
        Assert.Equal(("failed", 3), (failed.GetProperty("status").GetString(), failed.GetProperty("attempts").GetInt32()));
        Assert.Contains("500", failed.GetProperty("lastError").GetString(), StringComparison.Ordinal);

        // The 500 and the retry carry the same body and signature; the signature is HMAC-SHA256 of the body under the secret.
        Assert.Equal(2, receiver.Requests.Count);
        var request = receiver.Requests.Last();
        Assert.Equal(receiver.Requests.First().Body, request.Body);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), request.Body));
        Assert.Equal(expected, request.Signature);
        Assert.Equal("vulnerability.opened", request.Event);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal(("vulnerability.opened", "redis-no-auth", "10.85.0.2"), (body.GetProperty("event").GetString(),
            body.GetProperty("vulnerability").GetProperty("checkId").GetString(), body.GetProperty("vulnerability").GetProperty("ip").GetString()));
        Assert.Equal("New critical vulnerability on 10.85.0.2:6379: Redis without authentication", body.GetProperty("summary").GetString());
        // Without a secret there is no signature; the low one stayed below the chosen severity.
        Assert.All(broken.Requests, r => Assert.Null(r.Signature));
        Assert.DoesNotContain(receiver.Requests, r => Encoding.UTF8.GetString(r.Body).Contains("tls-certificate-self-signed", StringComparison.Ordinal));

        // A PUT without the secret keeps it.
        (await api.AdminAsync(Put, "/api/settings/notifications", new { minimumSeverity = "low", webhooks = new object[] { new { url = receiver.Url } } })).AssertOk();
        (await api.AdminAsync(Post, "/api/settings/notifications/test")).AssertOk();
        await WaitForDeliveriesAsync(api, 3);
        var test = receiver.Requests.Last();
        Assert.Equal(("notification.test", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), test.Body))),
            (test.Event, test.Signature));
    }

    [Fact]
    public async Task Syslog_gets_rfc_5424_messages_over_udp_and_octet_counted_tcp()
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var tcp = new TcpListener(IPAddress.Loopback, 0);
        tcp.Start();
        try
        {
            await using var daemon = await Daemon.StartAsync(FastRetries);
            var api = daemon.Api;
            (await api.AdminAsync(Put, "/api/settings/notifications", new
            {
                minimumSeverity = "critical",
                syslog = new object[]
                {
                    new { host = "127.0.0.1", port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port, transport = "udp" },
                    new { host = "127.0.0.1", port = ((IPEndPoint)tcp.LocalEndpoint).Port, transport = "tcp" },
                },
            })).AssertOk();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var accepted = tcp.AcceptTcpClientAsync(deadline.Token);
            var datagram = udp.ReceiveAsync(deadline.Token);

            await daemon.Service<VulnerabilityLedger>().RecordRunAsync(1, [], [Critical, Low], CancellationToken.None);

            var overUdp = Encoding.UTF8.GetString((await datagram).Buffer);
            using var client = await accepted;
            var overTcp = await ReadOctetCountedFrameAsync(client.GetStream(), deadline.Token);
            foreach (var message in new[] { overUdp, overTcp })
            {
                var m = Rfc5424().Match(message);
                Assert.True(m.Success, message);
                Assert.Equal(16 * 8 + 2, int.Parse(m.Groups["pri"].Value, System.Globalization.CultureInfo.InvariantCulture)); // local0, critical
                Assert.Equal(daemon.Clock.GetUtcNow(), DateTimeOffset.Parse(m.Groups["time"].Value, System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(("outpost", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "vulnerability.opened", "[origin software=\"outpost\"]"),
                    (m.Groups["app"].Value, m.Groups["proc"].Value, m.Groups["msgid"].Value, m.Groups["sd"].Value));
                Assert.Equal("\uFEFFNew critical vulnerability on 10.85.0.2:6379: Redis without authentication", m.Groups["msg"].Value);
            }

            var deliveries = await WaitForDeliveriesAsync(api, 2);
            Assert.All(deliveries, d => Assert.Equal(("delivered", "syslog"), (d.GetProperty("status").GetString(), d.GetProperty("channel").GetString())));
            Assert.Equal(["tcp://127.0.0.1:" + ((IPEndPoint)tcp.LocalEndpoint).Port, "udp://127.0.0.1:" + ((IPEndPoint)udp.Client.LocalEndPoint!).Port],
                deliveries.Select(d => d.GetProperty("target").GetString()).Order(StringComparer.Ordinal));
        }
        finally
        {
            tcp.Stop();
        }
    }

    [Fact]
    public async Task A_processed_scans_new_assets_and_services_are_sent_when_switched_on()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 0);
        await using var daemon = await Daemon.StartAsync(FastRetries);
        var api = daemon.Api;
        (await api.AdminAsync(Put, "/api/settings/notifications", new { newAssets = true, newServices = false, webhooks = new object[] { new { url = receiver.Url } } }))
            .AssertOk();
        var service = new Outpost.Store.Records.Inventory.ServiceSnapshot("10.85.2.1", 22, "tcp", "ssh", "OpenSSH", "9.2", null, null, null, null);
        await daemon.Service<Outpost.Appliance.Notifications.Notifier>().OnScanProcessedAsync(new Outpost.Appliance.Inventory.ScanProcessed(7,
            new Outpost.Store.Records.Inventory.ChangeSummary(7, null, ["10.85.2.1"], [], [service], [], [])), CancellationToken.None);
        await WaitForDeliveriesAsync(api, 1);
        var body = JsonDocument.Parse(Assert.Single(receiver.Requests).Body).RootElement;
        Assert.Equal(("asset.new", "10.85.2.1", "New asset 10.85.2.1"), (body.GetProperty("event").GetString(), body.GetProperty("asset").GetProperty("ip").GetString(),
            body.GetProperty("summary").GetString()));

        (await api.AdminAsync(Put, "/api/settings/notifications", new { newAssets = false, newServices = true, webhooks = new object[] { new { url = receiver.Url } } }))
            .AssertOk();
        await daemon.Service<Outpost.Appliance.Notifications.Notifier>().OnScanProcessedAsync(new Outpost.Appliance.Inventory.ScanProcessed(8,
            new Outpost.Store.Records.Inventory.ChangeSummary(8, 7, ["10.85.2.2"], [], [service with { Ip = "10.85.2.2" }], [], [])), CancellationToken.None);
        await WaitForDeliveriesAsync(api, 2);
        body = JsonDocument.Parse(receiver.Requests.Last().Body).RootElement;
        Assert.Equal(("service.new", "New service ssh on 10.85.2.2:22", 22), (body.GetProperty("event").GetString(), body.GetProperty("summary").GetString(),
            body.GetProperty("service").GetProperty("port").GetInt32()));
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task A_queued_delivery_survives_a_restart()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 0);
        // The loop never ticks on its own here: the test runs its pass after the restart.
        var daemon = await Daemon.StartAsync(new Dictionary<string, string?> { ["Outpost:Notifications:PollInterval"] = "01:00:00" });
        try
        {
            (await daemon.Api.AdminAsync(Put, "/api/settings/notifications", new { webhooks = new object[] { new { url = receiver.Url, secret = Secret } } })).AssertOk();
            await daemon.Service<VulnerabilityLedger>().RecordRunAsync(1, [], [Critical], CancellationToken.None);
            var queued = (await daemon.Api.AdminAsync(Get, "/api/notifications/deliveries")).AssertOk().Json.GetProperty("deliveries");
            Assert.Equal("pending", Assert.Single(queued.EnumerateArray()).GetProperty("status").GetString());

            daemon = await daemon.RestartAsync();
            Assert.Equal(1, await daemon.Service<Outpost.Appliance.Notifications.NotificationDelivery>().DeliverPendingAsync(CancellationToken.None));
            var request = Assert.Single(receiver.Requests);
            Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), request.Body)), request.Signature);
            var delivered = (await daemon.Api.AdminAsync(Get, "/api/notifications/deliveries")).AssertOk().Json.GetProperty("deliveries");
            Assert.Equal(("delivered", 1), (Assert.Single(delivered.EnumerateArray()).GetProperty("status").GetString(), delivered[0].GetProperty("attempts").GetInt32()));
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }

    [Fact]
    public async Task Bad_settings_are_a_400_and_change_nothing_and_a_test_without_targets_is_a_409()
    {
        await using var daemon = await Daemon.StartAsync(FastRetries);
        var api = daemon.Api;
        (await api.AdminAsync(Post, "/api/settings/notifications/test")).AssertError(409, "CONFLICT");
        (await api.AdminAsync(Put, "/api/settings/notifications", new { webhooks = new object[] { new { url = "http://127.0.0.1:9/hook", secret = "k" } } })).AssertOk();
        var before = (await api.AdminAsync(Get, "/api/settings/notifications")).AssertOk().Body;
        foreach (var body in new object[]
                 {
                     new { minimumSeverity = "severe" },
                     new { webhooks = new object[] { new { url = "ftp://example.test/" } } },
                     new { webhooks = new object[] { new { url = "not a url" } } },
                     new { webhooks = new object[] { new { url = "http://a.test/" }, new { url = "http://a.test/" } } },
                     new { webhooks = new object[] { new { url = "http://a.test/", secret = new string('s', 257) } } },
                     new { webhooks = Enumerable.Range(0, 11).Select(i => new { url = $"http://a{i}.test/" }).ToArray() },
                     new { syslog = new object[] { new { host = "", port = 514 } } },
                     new { syslog = new object[] { new { host = "log.test", port = 0 } } },
                     new { syslog = new object[] { new { host = "log.test", port = 514, transport = "tls" } } },
                     new { syslog = new object[] { new { host = "bad host!", port = 514 } } },
                     new { webhooks = "x" },
                     "{\"minimumSeverity\":",
                 })
        {
            (await api.AdminAsync(Put, "/api/settings/notifications", body)).AssertError(400, "BAD_REQUEST");
        }

        Assert.Equal(before, (await api.AdminAsync(Get, "/api/settings/notifications")).AssertOk().Body);
        (await api.AdminAsync(Get, "/api/notifications/deliveries?limit=0")).AssertError(400, "BAD_REQUEST");
        (await api.AdminAsync(Get, "/api/notifications/deliveries?cursor=x")).AssertError(400, "BAD_REQUEST");
        Assert.Empty((await api.AdminAsync(Get, "/api/notifications/deliveries")).AssertOk().Json.GetProperty("deliveries").EnumerateArray());
    }

    /// <summary>Polls the delivery log until <paramref name="count"/> deliveries are finished (delivered or failed), with a deadline.</summary>
    private static async Task<List<JsonElement>> WaitForDeliveriesAsync(Api api, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var deliveries = (await api.AdminAsync(Get, "/api/notifications/deliveries")).AssertOk().Json.GetProperty("deliveries").EnumerateArray().ToList();
            if (deliveries.Count(d => d.GetProperty("status").GetString() != "pending") >= count)
            {
                return deliveries;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Only {deliveries.Count} deliveries after 30 s: {string.Join(", ", deliveries)}");
            await Task.Delay(50);
        }
    }

    /// <summary>RFC 6587 octet counting: the frame's length in ASCII digits, a space, then that many bytes.</summary>
    private static async Task<string> ReadOctetCountedFrameAsync(NetworkStream stream, CancellationToken ct)
    {
        var digits = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            Assert.Equal(1, await stream.ReadAsync(one, ct));
            if (one[0] == (byte)' ') break;
            Assert.InRange(one[0], (byte)'0', (byte)'9');
            digits.Append((char)one[0]);
        }

        var frame = new byte[int.Parse(digits.ToString(), System.Globalization.CultureInfo.InvariantCulture)];
        await stream.ReadExactlyAsync(frame, ct);
        return Encoding.UTF8.GetString(frame);
    }

    /// <summary>RFC 5424 section 6: PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG].</summary>
    [GeneratedRegex(@"^<(?<pri>\d{1,3})>1 (?<time>\S+) (?<host>[!-~]{1,255}) (?<app>[!-~]{1,48}) (?<proc>[!-~]{1,128}) (?<msgid>[!-~]{1,32}) (?<sd>-|(\[[^\]]+\])+)( (?<msg>.*))?$", RegexOptions.Singleline)]
    private static partial Regex Rfc5424();

    private sealed record Received(byte[] Body, string? Signature, string? Event);

    /// <summary>A webhook receiver on loopback: answers 500 to the first <c>failFirst</c> requests, then 200; keeps every request.</summary>
    private sealed class WebhookReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _seen;

        private WebhookReceiver(WebApplication app, int failFirst)
        {
            _app = app;
            app.MapPost("/hook", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                Requests.Enqueue(new Received(body.ToArray(), context.Request.Headers["X-Outpost-Signature"].FirstOrDefault(),
                    context.Request.Headers["X-Outpost-Event"].FirstOrDefault()));
                return Interlocked.Increment(ref _seen) <= failFirst ? Results.StatusCode(500) : Results.Ok();
            });
        }

        public ConcurrentQueue<Received> Requests { get; } = new();

        public string Url => _app.Urls.First() + "/hook";

        public static async Task<WebhookReceiver> StartAsync(int failFirst)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var receiver = new WebhookReceiver(builder.Build(), failFirst);
            await receiver._app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
