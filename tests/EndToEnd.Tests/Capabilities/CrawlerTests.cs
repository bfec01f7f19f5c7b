using Microsoft.AspNetCore.Http;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Crawler;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;

namespace Outpost.EndToEnd.Tests.Capabilities;

/// <summary>The crawler against a small site Kestrel serves on loopback: what it visits, what it records, what it leaves alone.</summary>
public sealed class CrawlerTests
{
    private const string Attribution = "Outpost test crawl, contact security@example.test";

    /// <summary>
    /// / → /a, /b (a redirect to /c), an anchor to itself, another origin, a mailto: link;
    /// /a → /a/deep (→ /a/deeper → /a/deepest) and a login form; /c → /d.
    /// </summary>
    private static Dictionary<string, Func<HttpContext, Task>> Site() => new()
    {
        ["/"] = TestSite.Html("""
            <html><head><title>  Home
              page </title></head><body>
            <a href="/a">A</a> <a href="b">B</a> <a href="/a#top">A again</a> <a href="#">self</a>
            <a href="http://localhost:1/elsewhere">other origin</a> <a href="mailto:x@example.test">mail</a>
            </body></html>
            """),
        ["/a"] = TestSite.Html("""
            <html><head><title>Page A</title></head><body>
            <a href="/a/deep">deeper</a>
            <form action="/login" method="post"><input name="user"><input type="password" name="pass"><select name="realm"></select>
            <button name="go">Go</button></form>
            <form><input name="q"></form>
            </body></html>
            """),
        ["/b"] = TestSite.Redirect("/c"),
        ["/c"] = TestSite.Html("<html><head><title>C</title></head><body><a href='/d'>d</a></body></html>"),
        ["/d"] = TestSite.Html("<html><head><title>D</title></head><body></body></html>"),
        ["/a/deep"] = TestSite.Html("<html><head><title>Deep</title></head><body><a href='/a/deeper'>on</a></body></html>"),
        ["/a/deeper"] = TestSite.Html("<html><head><title>Deeper</title></head><body><a href='/a/deepest'>on</a></body></html>"),
        ["/a/deepest"] = TestSite.Html("<html><head><title>Deepest</title></head><body></body></html>"),
    };

    [Fact]
    public async Task It_records_exactly_the_same_origin_pages_within_the_depth_with_titles_forms_and_the_attribution_header()
    {
        await using var site = await TestSite.StartAsync(Site());
        var crawler = new CrawlerCapability(Attribution, TimeProvider.System, new CrawlerOptions { MaxDepth = 2, MaxPages = 100 });
        var report = new CollectingReport();

        var outcome = await crawler.RunAsync(Job(site), report, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(new CapabilityOutcome(true, null, 1), outcome);
        var pages = report.Results.Cast<CrawledPage>().ToDictionary(p => new Uri(p.Url).PathAndQuery);
        Assert.Equal(["/", "/a", "/a/deep", "/b", "/c"], pages.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((0, 200, "Home page"), (pages["/"].Depth, pages["/"].Status, pages["/"].Title));
        Assert.Equal((1, 302, (string?)null), (pages["/b"].Depth, pages["/b"].Status, pages["/b"].Title));
        Assert.Equal((2, 200, "C"), (pages["/c"].Depth, pages["/c"].Status, pages["/c"].Title));
        Assert.Equal(2, pages["/a/deep"].Depth);
        Assert.All(pages.Values, p => Assert.Equal((site.Endpoint.Address.ToString(), site.Endpoint.Port), (p.Ip, p.Port)));

        var forms = pages["/a"].Forms;
        Assert.Equal(2, forms.Count);
        Assert.Equal(new Uri(Base(site), "/login").ToString(), forms[0].Action);
        Assert.Equal("POST", forms[0].Method);
        Assert.Equal(["user", "pass", "realm", "go"], forms[0].Inputs);
        Assert.Equal((new Uri(Base(site), "/a").ToString(), "GET"), (forms[1].Action, forms[1].Method));
        Assert.Equal(["q"], forms[1].Inputs);

        // The server saw each of those pages once, nothing beyond the depth, and every request announced whose it was.
        var seen = site.Requests.ToList();
        Assert.Equal(["/", "/a", "/a/deep", "/b", "/c"], seen.Select(r => r.Path).Order(StringComparer.Ordinal));
        Assert.All(seen, r => Assert.Equal(Attribution, r.Attribution));
        Assert.All(seen, r => Assert.EndsWith("(" + Attribution + ")", r.UserAgent, StringComparison.Ordinal));
        Assert.Equal(1, report.Done);
    }

    [Fact]
    public async Task It_stops_at_the_page_limit_breadth_first()
    {
        await using var site = await TestSite.StartAsync(Site());
        var crawler = new CrawlerCapability(null, TimeProvider.System, new CrawlerOptions { MaxDepth = 10, MaxPages = 3 });
        var report = new CollectingReport();

        var outcome = await crawler.RunAsync(Job(site), report, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(outcome.Finished);
        Assert.Equal(["/", "/a", "/b"], report.Results.Cast<CrawledPage>().Select(p => new Uri(p.Url).PathAndQuery));
        Assert.Equal(["/", "/a", "/b"], site.Requests.Select(r => r.Path));
        Assert.All(site.Requests, r => Assert.Equal("", r.Attribution));
    }

    [Fact]
    public async Task A_port_that_speaks_no_http_is_a_warning_not_a_page()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        // Accept and close at once: neither HTTP nor TLS answers.
        var closer = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                using var client = await listener.AcceptTcpClientAsync();
            }
        });
        var report = new CollectingReport();
        var crawler = new CrawlerCapability(null, TimeProvider.System, new CrawlerOptions { RequestTimeout = TimeSpan.FromSeconds(5) });

        var outcome = await crawler.RunAsync(new JobAssignment(1, 1, CrawlerCapability.JobName, [new JobTargetSpec("127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture))], 100),
            report, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        await closer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(outcome.Finished);
        Assert.Empty(report.Results);
        Assert.Contains("does not answer HTTP or HTTPS", Assert.Single(report.Warnings), StringComparison.Ordinal);
    }

    private static Uri Base(TestSite site) => new($"http://{site.Endpoint}/");

    private static JobAssignment Job(TestSite site) =>
        new(1, 1, CrawlerCapability.JobName, [new JobTargetSpec(site.Endpoint.Address.ToString(), site.Endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))], 1000);
}
