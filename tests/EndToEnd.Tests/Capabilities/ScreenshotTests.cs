using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Screenshot;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;

namespace Outpost.EndToEnd.Tests.Capabilities;

/// <summary>The screenshot capability rendering a page Kestrel serves on loopback in Debian's headless Chromium.</summary>
public sealed class ScreenshotTests
{
    private const string Attribution = "Outpost screenshot test";

    [Fact]
    public async Task It_renders_the_page_at_the_fixed_viewport_into_a_png_with_the_page_colours_and_sends_the_attribution_header()
    {
        await using var site = await TestSite.StartAsync(new Dictionary<string, Func<Microsoft.AspNetCore.Http.HttpContext, Task>>
        {
            ["/"] = TestSite.Html("""
                <html><head><title>colours</title></head>
                <body style="margin:0;background:#d02010">
                <div style="position:absolute;left:0;top:0;width:200px;height:100px;background:#1040c0"></div>
                </body></html>
                """),
        });
        var capability = new ScreenshotCapability(null, Attribution, TimeProvider.System, new ScreenshotOptions { ViewportWidth = 640, ViewportHeight = 400 });
        Assert.Null(capability.Unavailable);
        var report = new CollectingReport();
        var job = new JobAssignment(1, 1, ScreenshotCapability.JobName,
            [new JobTargetSpec("127.0.0.1", site.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))], 100);

        var outcome = await capability.RunAsync(job, report, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(new CapabilityOutcome(true, null, 1), outcome);
        var shot = Assert.IsType<ServiceScreenshot>(Assert.Single(report.Results));
        Assert.Equal(($"http://127.0.0.1:{site.Endpoint.Port}/", "127.0.0.1", site.Endpoint.Port), (shot.Url, shot.Ip, shot.Port));
        var image = PngImage.Decode(shot.Png);
        Assert.Equal((640, 400), (image.Width, image.Height));
        Assert.Equal(((byte)0x10, (byte)0x40, (byte)0xc0), image.Pixel(100, 50));
        Assert.Equal(((byte)0xd0, (byte)0x20, (byte)0x10), image.Pixel(400, 300));
        var page = Assert.Single(site.Requests, r => r.Path == "/");
        Assert.Equal(Attribution, page.Attribution);
        Assert.Contains("(" + Attribution + ")", page.UserAgent, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_chromium_it_is_not_advertised()
    {
        var capability = new ScreenshotCapability("/nonexistent/chromium", null, TimeProvider.System);
        Assert.Contains("Chromium is not installed", capability.Unavailable, StringComparison.Ordinal);
        var registry = new CapabilityRegistry([capability]);
        Assert.Empty(registry.Available());
    }
}
