using System.Net;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>The web UI's login contract: cookie session, CSRF header, login throttling, logout.</summary>
public sealed class SessionTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;

    [Fact]
    public async Task Login_sets_a_strict_http_only_cookie_that_authenticates_the_admin_api_until_logout()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        (await api.SendAsync(Get, "/api/session", null)).AssertError(401, "UNAUTHORIZED");

        var login = (await api.SendAsync(Post, "/api/session", new { secret = Daemon.AdminToken })).AssertOk(204);

        var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("outpost_session=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie, StringComparison.OrdinalIgnoreCase); // plain HTTP here
        var cookie = setCookie.Split(';')[0];
        void WithCookie(HttpRequestMessage r) => r.Headers.Add("Cookie", cookie);

        Assert.True((await api.SendAsync(Get, "/api/session", null, WithCookie)).AssertOk().Json.GetProperty("authenticated").GetBoolean());
        (await api.SendAsync(Get, "/api/scanners", null, WithCookie)).AssertOk();
        (await api.SendAsync(Get, "/metrics", null, WithCookie)).AssertOk();

        // Changes with a cookie need the CSRF header; with it they work.
        (await api.SendAsync(Post, "/api/scanners", new { name = "x" }, WithCookie)).AssertError(403, "CSRF");
        Assert.Empty((await api.AdminAsync(Get, "/api/scanners")).Json.GetProperty("scanners").EnumerateArray());
        (await api.SendAsync(Post, "/api/scanners", new { name = "x" }, r =>
        {
            WithCookie(r);
            r.Headers.Add("X-Outpost-Csrf", "1");
        })).AssertOk(201);
        // Bearer requests need no CSRF header.
        (await api.AdminAsync(Post, "/api/scheduler/pause")).AssertOk();

        (await api.SendAsync(HttpMethod.Delete, "/api/session", null, WithCookie)).AssertError(403, "CSRF");
        var logout = (await api.SendAsync(HttpMethod.Delete, "/api/session", null, r =>
        {
            WithCookie(r);
            r.Headers.Add("X-Outpost-Csrf", "1");
        })).AssertOk(204);
        Assert.Contains(logout.Headers.GetValues("Set-Cookie"), c => c.StartsWith("outpost_session=;", StringComparison.Ordinal));
        (await api.SendAsync(Get, "/api/session", null, WithCookie)).AssertError(401, "UNAUTHORIZED");
        (await api.SendAsync(Get, "/api/scanners", null, WithCookie)).AssertError(401, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Five_wrong_secrets_lock_the_address_out_for_five_minutes_with_retry_after()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        for (var i = 0; i < 5; i++)
        {
            (await api.SendAsync(Post, "/api/session", new { secret = "guess" + i })).AssertError(401, "UNAUTHORIZED");
        }

        // Even the right secret is refused while locked out.
        var locked = (await api.SendAsync(Post, "/api/session", new { secret = Daemon.AdminToken })).AssertError(429, "TOO_MANY_ATTEMPTS");
        var retryAfter = int.Parse(locked.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 300);

        daemon.Clock.Advance(TimeSpan.FromMinutes(5));
        (await api.SendAsync(Post, "/api/session", new { secret = Daemon.AdminToken })).AssertOk(204);
    }

    [Theory]
    [InlineData("Bearer wrong-token")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    public async Task The_admin_api_refuses_anything_but_the_admin_token(string authorization)
    {
        await using var daemon = await Daemon.StartAsync();

        var reply = await daemon.Api.SendAsync(Get, "/api/scanners", null, r => r.Headers.TryAddWithoutValidation("Authorization", authorization));

        reply.AssertError(401, "UNAUTHORIZED");
        (await daemon.Api.SendAsync(Get, "/api/scans", null, r => r.Headers.Add("Cookie", "outpost_session=forged"))).AssertError(401, "UNAUTHORIZED");
        Assert.Equal(HttpStatusCode.OK, (await daemon.Api.AdminAsync(Get, "/api/scanners")).Status);
    }
}
