using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Outpost.Appliance.BuiltInScanner;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Probe.Capture;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;

namespace Outpost.EndToEnd.Tests;

/// <summary>
/// The built-in scanner without raw packet access: it must say so (an alarm naming CAP_NET_RAW) and leave its jobs
/// queued, not fail them one by one. The daemon runs in-process so the capability check can be swapped; no packet is sent.
/// </summary>
public sealed class BuiltInScannerHealthTests
{
    private sealed class NoRawAccess : IRawPacketAccess
    {
        public const string Reason = "pcap: permission denied (needs CAP_NET_RAW): test";

        // Released once per ask, i.e. once per tick of the built-in scanner: the test counts ticks instead of sleeping.
        public SemaphoreSlim Asked { get; } = new(0);

        public string? Problem()
        {
            Asked.Release();
            return Reason;
        }
    }

    [Fact]
    public async Task Without_CAP_NET_RAW_the_built_in_scanner_raises_an_alarm_and_takes_no_jobs()
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
            var local = (await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json.GetProperty("scanners").EnumerateArray()
                .Single(s => s.GetProperty("name").GetString() == "local");
            Assert.False(local.GetProperty("online").GetBoolean());

            Assert.Equal(app.Services.GetRequiredService<LocalScanner>().ScannerId, local.GetProperty("id").GetInt64());

            // 127.0.0.1 only, and nothing is probed anyway: the job must stay queued through several of the scanner's polls.
            // Each poll asks for raw access first and would claim in the same tick, so once the scanner has asked twice more
            // after the scan was created, at least one whole poll has seen the job and left it.
            var scanId = await api.CreateScanAsync(["127.0.0.1"], [local.GetProperty("id").GetInt64()], "80");
            for (var look = 0; look < 5; look++)
            {
                while (await noRawAccess.Asked.WaitAsync(TimeSpan.Zero))
                {
                }

                for (var poll = 0; poll < 2; poll++)
                {
                    Assert.True(await noRawAccess.Asked.WaitAsync(TimeSpan.FromSeconds(30)), "the built-in scanner stopped polling");
                }

                Assert.Equal(1, (await api.ScanAsync(scanId)).GetProperty("jobCounts").GetProperty("queued").GetInt64());
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
