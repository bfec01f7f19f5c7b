using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Outpost.Appliance.BuiltInScanner;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;

namespace Outpost.EndToEnd.Tests;

/// <summary>
/// The built-in scanner protects the appliance (docs/probe-engine.md, "What the node refuses"): with loopback not
/// allowed, which is the shipped default, a job on 127.0.0.1 fails saying which setting allows it, and nothing is sent.
/// The daemon runs in-process so the test config's loopback permission can be taken back.
/// </summary>
public sealed class BuiltInScannerRefusalTests
{
    [Fact]
    public async Task A_loopback_job_fails_naming_the_setting_when_loopback_is_not_allowed()
    {
        using var directory = new TempDirectory();
        var app = OutpostApp.Build(new StartupArguments(Path.Combine(directory.Path, "data"), "http://127.0.0.1:0", directory.WriteTestConfig(builtInScanner: true)),
            FasterStoreOpener.OpenAsync, builder =>
            {
                builder.Configuration[AdminToken.EnvironmentVariable] = Daemon.AdminToken;
                builder.Configuration["Outpost:BuiltInScanner:PollInterval"] = "00:00:00.100";
                builder.Configuration[BuiltInScannerOptions.AllowLoopbackSetting] = "false";
            });
        await app.StartAsync();
        try
        {
            using var api = new Api(new Uri(app.Urls.First()));
            var local = app.Services.GetRequiredService<LocalScanner>();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (local.ScannerId == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the built-in scanner did not register");
                await Task.Delay(50);
            }

            var scanId = await api.CreateScanAsync(["127.0.0.1"], [local.ScannerId], "80", maxProbesPerSecond: 100, name: "loopback");
            var scan = await Scans.WaitAsync(api, scanId, Scans.Ended, TimeSpan.FromSeconds(60), () => "");

            var job = (await api.AdminAsync(HttpMethod.Get, $"/api/jobs?scanId={scanId}")).AssertOk().Json.GetProperty("jobs")[0];
            Assert.Equal("failed", job.GetProperty("status").GetString());
            Assert.Equal("refused target 127.0.0.1: 127.0.0.0/8 is this machine's loopback; scanning it needs Outpost:BuiltInScanner:AllowLoopback=true (meant for tests).",
                job.GetProperty("errorMessage").GetString());
            Assert.Equal(0, scan.GetProperty("resultCount").GetInt64());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
