using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Outpost.EndToEnd.Tests.Infrastructure;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Jobs;

namespace Outpost.EndToEnd.Tests.Capabilities;

/// <summary>The fingerprint engine's HTTP probe announces the scan like the crawler and screenshots do (docs/fingerprint.md, "Attribution").</summary>
public sealed class FingerprintAttributionTests
{
    private const string Attribution = "Outpost test fingerprint, contact security@example.test";

    [Fact]
    public async Task The_http_probe_sends_the_attribution_header_and_user_agent()
    {
        await using var site = await TestSite.StartAsync(new Dictionary<string, Func<Microsoft.AspNetCore.Http.HttpContext, Task>>
        {
            ["/"] = TestSite.Html("<html><head><title>Fingerprinted</title></head><body></body></html>"),
        });
        var capability = new FingerprintCapability(Attribution, TimeProvider.System);
        var report = new CollectingReport();
        var job = new JobAssignment(1, 1, FingerprintCapability.JobName,
            [new JobTargetSpec(site.Endpoint.Address.ToString(), site.Endpoint.Port.ToString(CultureInfo.InvariantCulture))], 100);

        var outcome = await capability.RunAsync(job, report, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(outcome.Finished);
        var found = Assert.IsType<ServiceFound>(Assert.Single(report.Results));
        Assert.Equal("Fingerprinted", found.Fingerprint.Http?.Title);
        var seen = site.Requests.ToList();
        Assert.NotEmpty(seen);
        Assert.All(seen, r => Assert.Equal(Attribution, r.Attribution));
        Assert.All(seen, r => Assert.Equal(ScanAttribution.UserAgent(Attribution), r.UserAgent));
    }

    [Fact]
    public async Task The_cli_announces_the_run_given_with_attribution()
    {
        await using var site = await TestSite.StartAsync(new Dictionary<string, Func<Microsoft.AspNetCore.Http.HttpContext, Task>>
        {
            ["/"] = TestSite.Html("<html><head><title>Fingerprinted</title></head><body></body></html>"),
        });
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { ProbeNodeProcess.ProbeBinary, "fingerprint", site.Endpoint.Address.ToString(), "-p",
                     site.Endpoint.Port.ToString(CultureInfo.InvariantCulture), "--json", "--attribution", Attribution, "--allow-loopback" })
        {
            info.ArgumentList.Add(arg);
        }

        using var probe = Process.Start(info)!;
        var stdout = probe.StandardOutput.ReadToEndAsync();
        var stderr = probe.StandardError.ReadToEndAsync();
        await probe.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(probe.ExitCode == 0, await stderr);

        using var line = JsonDocument.Parse((await stdout).Trim());
        Assert.Equal("Fingerprinted", line.RootElement.GetProperty("http").GetProperty("title").GetString());
        var seen = site.Requests.ToList();
        Assert.NotEmpty(seen);
        Assert.All(seen, r => Assert.Equal(Attribution, r.Attribution));
        Assert.All(seen, r => Assert.Equal(ScanAttribution.UserAgent(Attribution), r.UserAgent));
    }
}
