using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;

namespace Outpost.EndToEnd.Tests;

/// <summary>
/// A fingerprint scan end to end (docs/capabilities.md): the built-in scanner advertises its capabilities, claims the
/// fingerprint job, identifies a real redis-server on a loopback address (127.0.0.23) and the appliance stores and
/// serves what it found.
/// </summary>
public sealed partial class FingerprintJobTests
{
    private const string Address = "127.0.0.23";

    private static readonly Dictionary<string, string?> FastPolling = new()
    {
        ["Outpost__BuiltInScanner__PollInterval"] = "00:00:00.300",
    };

    [Fact]
    public async Task The_built_in_scanner_fingerprints_a_redis_server_and_the_appliance_serves_the_service()
    {
        var version = RedisVersion().Match(Run("redis-server", "--version")).Groups[1].Value;
        await using var redis = await LoopbackRedis.StartAsync();
        var port = redis.Port;
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory, environment: FastPolling, builtInScanner: true);
        using var api = new Api(daemon.BaseAddress);
        var localId = await WaitForCapabilityAsync(api, daemon, "fingerprint");

        var created = (await api.AdminAsync(HttpMethod.Post, "/api/scans", new
        {
            name = "fingerprint e2e", capability = "fingerprint", targets = new[] { Address }, ports = $"{port},{FreePort()}", scannerIds = new[] { localId },
            maxProbesPerSecond = 100,
        })).AssertOk(201).Json;
        Assert.Equal("fingerprint", created.GetProperty("capability").GetString());
        var scanId = created.GetProperty("id").GetInt64();
        var scan = await Scans.WaitAsync(api, scanId, Scans.Ended, TimeSpan.FromSeconds(90), () => daemon.Output);

        Assert.True(Scans.Is(scan, "completed"), $"{scan}\n{daemon.Output}");
        Assert.Equal(2, scan.GetProperty("progressCount").GetInt64());
        Assert.Equal(1, scan.GetProperty("resultCount").GetInt64());
        var services = (await api.AdminAsync(HttpMethod.Get, $"/api/scans/{scanId}/services")).AssertOk().Json.GetProperty("services");
        var service = Assert.Single(services.EnumerateArray()).GetProperty("service");
        Assert.Equal((Address, port, "redis", version),
            (service.GetProperty("ip").GetString(), service.GetProperty("port").GetInt32(), service.GetProperty("service").GetString(), service.GetProperty("version").GetString()));
        Assert.Equal("Redis key-value store", service.GetProperty("product").GetString());
    }

    /// <summary>Waits until the built-in scanner is online and advertises <paramref name="capability"/>; returns its id.</summary>
    private static async Task<long> WaitForCapabilityAsync(Api api, DaemonProcess daemon, string capability)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var local = (await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json.GetProperty("scanners").EnumerateArray()
                .SingleOrDefault(s => s.GetProperty("name").GetString() == "local");
            if (local.ValueKind != System.Text.Json.JsonValueKind.Undefined && local.GetProperty("online").GetBoolean()
                && local.GetProperty("capabilities").EnumerateArray().Any(c => c.GetProperty("name").GetString() == capability))
            {
                return local.GetProperty("id").GetInt64();
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the built-in scanner did not come online with {capability}:\n" + daemon.Output);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Parse(Address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitListeningAsync(int port)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Parse(Address), port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static string Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    [GeneratedRegex(@"v=(\d+\.\d+\.\d+)")]
    private static partial Regex RedisVersion();

    /// <summary>A real redis-server without a password on a free port of <see cref="Address"/>, killed on dispose.</summary>
    private sealed class LoopbackRedis : IAsyncDisposable
    {
        private readonly Process _process;

        private LoopbackRedis(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public static async Task<LoopbackRedis> StartAsync()
        {
            var port = FreePort();
            var redis = new LoopbackRedis(
                Process.Start(new ProcessStartInfo("redis-server")
                {
                    ArgumentList = { "--bind", Address, "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--protected-mode", "no" },
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                }) ?? throw new InvalidOperationException("redis-server did not start"),
                port);
            try
            {
                await WaitListeningAsync(port);
            }
            catch
            {
                await redis.DisposeAsync();
                throw;
            }

            return redis;
        }

        public async ValueTask DisposeAsync()
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
