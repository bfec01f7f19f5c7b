using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests.Accounts;

/// <summary>The browser hardening headers on every kind of answer: the UI's files, API results, framework errors.</summary>
public sealed class SecurityHeaderTests
{
    [Fact]
    public async Task Every_answer_carries_the_security_headers_and_plain_http_no_hsts()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "wwwroot", "index.html")), "the UI is built beside the daemon");
        var answers = new[]
        {
            await api.SendAsync(HttpMethod.Get, "/", null),
            await api.SendAsync(HttpMethod.Get, "/js/app.js", null),
            await api.AdminAsync(HttpMethod.Get, "/api/scans"),
            await api.AdminAsync(HttpMethod.Post, "/api/scans", new { }),
            await api.SendAsync(HttpMethod.Get, "/api/scans", null),
            await api.SendAsync(HttpMethod.Get, "/no/such/page", null),
            await api.SendAsync(HttpMethod.Get, "/healthz", null),
        };
        foreach (var reply in answers)
        {
            var csp = string.Join(",", reply.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.Equal("nosniff", string.Join(",", reply.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", string.Join(",", reply.Headers.GetValues("Referrer-Policy")));
            Assert.False(reply.Headers.Contains("Strict-Transport-Security"), "no HSTS over plain HTTP");
        }

        // The page itself holds no inline script or style the policy would block.
        var index = answers[0].Body;
        Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)[^>]*>", index);
        Assert.DoesNotContain("<style", index, StringComparison.Ordinal);
        Assert.DoesNotContain("style=", index, StringComparison.Ordinal);
    }
}
