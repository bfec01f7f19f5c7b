using System.Globalization;
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
}
