using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Outpost.Appliance.BuiltInScanner;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;
using Outpost.Probe.Capture;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;

namespace Outpost.EndToEnd.Tests;

/// <summary>
/// The built-in scanner without raw packet access: it must say so (an alarm naming CAP_NET_RAW), stop advertising the
/// port scan and leave port scan jobs queued rather than fail them one by one, and still run what needs only ordinary
/// connections (a fingerprint of a loopback listener here). The daemon runs in-process so the capability check can be
/// swapped; no raw packet is sent.
/// </summary>
public sealed class BuiltInScannerHealthTests
{
    private sealed class NoRawAccess : IRawPacketAccess
    {
        public const string Reason = "pcap: permission denied (needs CAP_NET_RAW): test";

        // Released once per ask (twice per tick of the built-in scanner: its health check and its heartbeat's list of
        // capabilities): the test counts ticks instead of sleeping.
        public SemaphoreSlim Asked { get; } = new(0);

        public string? Problem()
        {
            Asked.Release();
            return Reason;
        }
    }

    [Fact]
    public async Task Without_CAP_NET_RAW_the_built_in_scanner_raises_an_alarm_takes_no_port_scans_and_runs_the_rest()
    {
        using var directory = new TempDirectory();
        var noRawAccess = new NoRawAccess();
        var app = OutpostApp.Build(new StartupArguments(Path.Combine(directory.Path, "data"), "http://127.0.0.1:0", directory.WriteTestConfig()),
            FasterStoreOpener.OpenAsync, builder =>
            {
                builder.Configuration[AdminToken.EnvironmentVariable] = Daemon.AdminToken;
                builder.Configuration["Outpost:BuiltInScanner:Enabled"] = "true";
                builder.Configuration["Outpost:BuiltInScanner:PollInterval"] = "00:00:00.100";
                builder.Services.AddSingleton<IRawPacketAccess>(noRawAccess);
            });
        await app.StartAsync();
        try
        {
            using var api = new Api(new Uri(app.Urls.First()));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            JsonElement alarm = default;
            while (alarm.ValueKind == JsonValueKind.Undefined)
            {
                Assert.True(DateTime.UtcNow < deadline, "no scanner-unhealthy alarm was raised");
                alarm = (await api.AdminAsync(HttpMethod.Get, "/api/alarms")).AssertOk().Json.GetProperty("alarms").EnumerateArray()
                    .FirstOrDefault(a => a.GetProperty("kind").GetString() == "scanner-unhealthy");
                await Task.Delay(50);
            }

            Assert.Contains("CAP_NET_RAW", alarm.GetProperty("message").GetString(), StringComparison.Ordinal);
            var local = await WaitOnlineAsync(api);
            var capabilities = local.GetProperty("capabilities").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
            Assert.DoesNotContain("portscan", capabilities);
            Assert.Contains("fingerprint", capabilities);
            Assert.Contains("crawler", capabilities);

            Assert.Equal(app.Services.GetRequiredService<LocalScanner>().ScannerId, local.GetProperty("id").GetInt64());

            // 127.0.0.1 only, and nothing is probed anyway: the job must stay queued through several of the scanner's polls.
            // Each poll asks for raw access and would claim in the same tick, so once the scanner has asked four times more
            // (two ticks) after the scan was created, at least one whole poll has seen the job and left it.
            var scanId = await api.CreateScanAsync(["127.0.0.1"], [local.GetProperty("id").GetInt64()], "80");
            for (var look = 0; look < 5; look++)
            {
                while (await noRawAccess.Asked.WaitAsync(TimeSpan.Zero))
                {
                }

                for (var poll = 0; poll < 4; poll++)
                {
                    Assert.True(await noRawAccess.Asked.WaitAsync(TimeSpan.FromSeconds(30)), "the built-in scanner stopped polling");
                }

                Assert.Equal(1, (await api.ScanAsync(scanId)).GetProperty("jobCounts").GetProperty("queued").GetInt64());
            }

            // What needs no raw socket still runs: a fingerprint of an SSH banner on loopback.
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var serving = ServeBannerAsync(listener, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
            var fingerprint = (await api.AdminAsync(HttpMethod.Post, "/api/scans", new
            {
                name = "fingerprint without raw access", capability = "fingerprint", targets = new[] { "127.0.0.1" }, ports = $"{port}",
                scannerIds = new[] { local.GetProperty("id").GetInt64() }, maxProbesPerSecond = 100,
            })).AssertOk(201).Json.GetProperty("id").GetInt64();
            var scan = await Scans.WaitAsync(api, fingerprint, Scans.Ended, TimeSpan.FromSeconds(60), () => "");
            Assert.True(Scans.Is(scan, "completed"), scan.ToString());
            var service = Assert.Single((await api.AdminAsync(HttpMethod.Get, $"/api/scans/{fingerprint}/services")).AssertOk().Json
                .GetProperty("services").EnumerateArray()).GetProperty("service");
            Assert.Equal(("ssh", port), (service.GetProperty("service").GetString(), service.GetProperty("port").GetInt32()));
            listener.Stop();
            await serving;
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>The built-in scanner once its heartbeat has been recorded (it heartbeats whatever it can run).</summary>
    private static async Task<JsonElement> WaitOnlineAsync(Api api)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var local = (await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json.GetProperty("scanners").EnumerateArray()
                .Single(s => s.GetProperty("name").GetString() == "local");
            if (local.GetProperty("online").GetBoolean() && local.GetProperty("capabilitiesReported").GetBoolean())
            {
                return local;
            }

            Assert.True(DateTime.UtcNow < deadline, "the built-in scanner never came online without raw access: " + local);
            await Task.Delay(50);
        }
    }

    /// <summary>Answers every connection with <paramref name="banner"/> until the listener stops.</summary>
    private static async Task ServeBannerAsync(TcpListener listener, string banner)
    {
        var bytes = Encoding.ASCII.GetBytes(banner);
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                await client.GetStream().WriteAsync(bytes);
            }
        }
        catch (ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
            // the listener stopped
        }
    }
}
