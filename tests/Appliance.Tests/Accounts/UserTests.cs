using Outpost.Appliance.Accounts;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests.Accounts;

/// <summary>Users, roles, the admin secret's first sign-in, personal tokens and TOTP, over real HTTP against the real daemon.</summary>
public sealed class UserTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly HttpMethod Put = HttpMethod.Put;
    private static readonly HttpMethod Patch = HttpMethod.Patch;
    private static readonly HttpMethod Delete = HttpMethod.Delete;

    [Fact]
    public async Task The_admin_secret_signs_in_the_built_in_admin_who_must_then_set_a_password()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var login = (await api.SendAsync(Post, "/api/session", new { secret = Daemon.AdminToken })).AssertOk(204);
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var session = (await api.WithCookieAsync(cookie, Get, "/api/session")).AssertOk().Json;
        Assert.Equal("admin", session.GetProperty("username").GetString());
        Assert.Equal("admin", session.GetProperty("role").GetString());
        Assert.True(session.GetProperty("mustSetPassword").GetBoolean());

        (await api.WithCookieAsync(cookie, Put, "/api/account/password", new { password = "short" })).AssertError(400, "BAD_REQUEST");
        (await api.WithCookieAsync(cookie, Put, "/api/account/password", new { password = Infrastructure.Accounts.Password })).AssertOk(204);
        Assert.False((await api.WithCookieAsync(cookie, Get, "/api/session")).AssertOk().Json.GetProperty("mustSetPassword").GetBoolean());

        // Now the built-in admin signs in by name; changing the password again needs the current one.
        var byName = await api.SignInAsync("admin");
        (await api.WithCookieAsync(byName, Put, "/api/account/password", new { password = "another long password" })).AssertError(401, "UNAUTHORIZED");
        (await api.SendAsync(Post, "/api/session", new { username = "admin", password = "wrong password!!" })).AssertError(401, "UNAUTHORIZED");

        // The built-in admin stays an enabled admin, whoever asks.
        var adminId = (await api.AdminAsync(Get, "/api/users")).AssertOk().Json.GetProperty("users").EnumerateArray()
            .Single(u => u.GetProperty("username").GetString() == "admin").GetProperty("id").GetInt64();
        (await api.AdminAsync(Patch, $"/api/users/{adminId}", new { role = "viewer" })).AssertError(409, "CONFLICT");
        (await api.AdminAsync(Delete, $"/api/users/{adminId}")).AssertError(409, "CONFLICT");
    }

    [Fact]
    public async Task Roles_limit_what_a_user_can_do_and_changes_to_a_user_take_effect_at_once()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var viewerId = await api.CreateUserAsync("vera", "viewer");
        (await api.AdminAsync(Post, "/api/users", new { username = "vera", role = "viewer", password = Infrastructure.Accounts.Password }))
            .AssertError(409, "CONFLICT");
        (await api.AdminAsync(Post, "/api/users", new { username = "bad name", role = "viewer", password = Infrastructure.Accounts.Password }))
            .AssertError(400, "BAD_REQUEST");
        (await api.AdminAsync(Post, "/api/users", new { username = "x", role = "root", password = Infrastructure.Accounts.Password }))
            .AssertError(400, "BAD_REQUEST");

        var users = (await api.AdminAsync(Get, "/api/users")).AssertOk().Body;
        Assert.DoesNotContain("AQAAAA", users, StringComparison.Ordinal); // no password hash leaves the appliance
        Assert.DoesNotContain(Infrastructure.Accounts.Password, users, StringComparison.Ordinal);

        var cookie = await api.SignInAsync("vera");
        (await api.WithCookieAsync(cookie, Get, "/api/scans")).AssertOk();
        (await api.WithCookieAsync(cookie, Post, "/api/scheduler/pause")).AssertError(403, "FORBIDDEN");
        (await api.WithCookieAsync(cookie, Get, "/api/users")).AssertError(403, "FORBIDDEN");

        // A token carries its user's role as it is now: promoting the user promotes the token.
        var token = (await api.WithCookieAsync(cookie, Post, "/api/tokens", new { name = "ci" })).AssertOk(201).Json;
        var tokenText = token.GetProperty("token").GetString()!;
        Assert.Equal("ci", token.GetProperty("name").GetString());
        (await api.WithTokenAsync(tokenText, Post, "/api/scheduler/pause")).AssertError(403, "FORBIDDEN");
        Assert.Equal("operator", (await api.AdminAsync(Patch, $"/api/users/{viewerId}", new { role = "operator" })).AssertOk().Json
            .GetProperty("role").GetString());
        (await api.WithTokenAsync(tokenText, Post, "/api/scheduler/pause")).AssertOk();
        // The role change ended the user's sessions: the old cookie carried the old role.
        (await api.WithCookieAsync(cookie, Get, "/api/scans")).AssertError(401, "UNAUTHORIZED");

        // Tokens are listed without their secret, and a revoked one stops working.
        var listed = (await api.WithTokenAsync(tokenText, Get, "/api/tokens")).AssertOk();
        Assert.DoesNotContain(tokenText, listed.Body, StringComparison.Ordinal);
        var tokenId = token.GetProperty("id").GetInt64();
        (await api.WithTokenAsync(tokenText, Delete, $"/api/tokens/{tokenId}")).AssertOk(204);
        (await api.WithTokenAsync(tokenText, Get, "/api/scans")).AssertError(401, "UNAUTHORIZED");

        // Disabled and deleted users cannot sign in.
        (await api.AdminAsync(Patch, $"/api/users/{viewerId}", new { disabled = true })).AssertOk();
        (await api.SendAsync(Post, "/api/session", new { username = "vera", password = Infrastructure.Accounts.Password })).AssertError(401, "UNAUTHORIZED");
        (await api.AdminAsync(Delete, $"/api/users/{viewerId}")).AssertOk(204);
        (await api.AdminAsync(Get, $"/api/users/{viewerId}")).AssertError(404, "NOT_FOUND");
    }

    [Fact]
    public async Task Users_and_tokens_survive_a_restart()
    {
        var daemon = await Daemon.StartAsync();
        string token;
        try
        {
            token = await daemon.Api.UserTokenAsync("olga", "operator");
            daemon = await daemon.RestartAsync();
            (await daemon.Api.WithTokenAsync(token, Post, "/api/scheduler/pause")).AssertOk();
            await daemon.Api.SignInAsync("olga");
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_confirmed_totp_factor_is_required_at_sign_in()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        await api.CreateUserAsync("tom", "viewer");
        var cookie = await api.SignInAsync("tom");
        var enrolment = (await api.WithCookieAsync(cookie, Post, "/api/account/totp")).AssertOk().Json;
        var secret = enrolment.GetProperty("secret").GetString()!;
        Assert.StartsWith("otpauth://totp/", enrolment.GetProperty("uri").GetString(), StringComparison.Ordinal);
        Assert.Contains("secret=" + secret, enrolment.GetProperty("uri").GetString(), StringComparison.Ordinal);

        // Not on until confirmed: sign-in still needs no code.
        await api.SignInAsync("tom");
        var codes = daemon.Service<TotpCodes>();
        (await api.WithCookieAsync(cookie, Post, "/api/account/totp/confirm", new { code = "000000" == codes.Current(secret) ? "111111" : "000000" }))
            .AssertError(400, "BAD_REQUEST");
        (await api.WithCookieAsync(cookie, Post, "/api/account/totp/confirm", new { code = codes.Current(secret) })).AssertOk(204);

        (await api.SendAsync(Post, "/api/session", new { username = "tom", password = Infrastructure.Accounts.Password })).AssertError(401, "TOTP_REQUIRED");
        // A code from two minutes ago is refused; the current one (on the daemon's clock) signs in.
        var stale = codes.Current(secret);
        daemon.Clock.Advance(TimeSpan.FromMinutes(2));
        if (stale != codes.Current(secret))
        {
            (await api.SendAsync(Post, "/api/session", new { username = "tom", password = Infrastructure.Accounts.Password, code = stale }))
                .AssertError(401, "UNAUTHORIZED");
        }

        var signedIn = await api.SignInAsync("tom", code: codes.Current(secret));
        Assert.True((await api.WithCookieAsync(signedIn, Get, "/api/session")).AssertOk().Json.GetProperty("totpEnabled").GetBoolean());

        // An admin resets a lost factor.
        var id = (await api.AdminAsync(Get, "/api/users")).Json.GetProperty("users").EnumerateArray()
            .Single(u => u.GetProperty("username").GetString() == "tom").GetProperty("id").GetInt64();
        (await api.AdminAsync(Patch, $"/api/users/{id}", new { resetTotp = true })).AssertOk();
        await api.SignInAsync("tom");
    }

    [Fact]
    public async Task A_totp_code_signs_in_once_and_is_refused_when_replayed_within_its_window()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        await api.CreateUserAsync("rita", "viewer");
        var cookie = await api.SignInAsync("rita");
        var secret = (await api.WithCookieAsync(cookie, Post, "/api/account/totp")).AssertOk().Json.GetProperty("secret").GetString()!;
        var codes = daemon.Service<TotpCodes>();
        var confirmation = codes.Current(secret);
        (await api.WithCookieAsync(cookie, Post, "/api/account/totp/confirm", new { code = confirmation })).AssertOk(204);

        // The code that confirmed the factor was seen once already: signing in with it, still inside its window, fails.
        (await api.SendAsync(Post, "/api/session", new { username = "rita", password = Infrastructure.Accounts.Password, code = confirmation }))
            .AssertError(401, "UNAUTHORIZED");

        daemon.Clock.Advance(TimeSpan.FromSeconds(30));
        var next = codes.Current(secret);
        await api.SignInAsync("rita", code: next);
        (await api.SendAsync(Post, "/api/session", new { username = "rita", password = Infrastructure.Accounts.Password, code = next }))
            .AssertError(401, "UNAUTHORIZED");

        // An older code that is still inside the drift window is refused too once a later one was used.
        daemon.Clock.Advance(TimeSpan.FromSeconds(30));
        await api.SignInAsync("rita", code: codes.Current(secret));
        (await api.SendAsync(Post, "/api/session", new { username = "rita", password = Infrastructure.Accounts.Password, code = next }))
            .AssertError(401, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Wrong_bearer_tokens_are_throttled_like_wrong_passwords()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        for (var i = 0; i < Web.LoginThrottle.MaxFailures; i++)
        {
            (await api.WithTokenAsync("opt_guess" + i, Get, "/api/scans")).AssertError(401, "UNAUTHORIZED");
        }

        // Blocked now, even with the right token: a guesser must not learn which guess was right.
        var blocked = (await api.AdminAsync(Get, "/api/scans")).AssertError(429, "TOO_MANY_ATTEMPTS");
        Assert.True(blocked.Headers.RetryAfter is not null);
        daemon.Clock.Advance(Web.LoginThrottle.Window);
        (await api.AdminAsync(Get, "/api/scans")).AssertOk();
    }

    [Fact]
    public void An_admin_token_from_the_environment_under_32_characters_is_refused_at_start()
    {
        using var directory = new TempDirectory();
        var error = Assert.Throws<InvalidOperationException>(() => Hosting.OutpostApp.Build(
            new Hosting.StartupArguments(Path.Combine(directory.Path, "data"), "http://127.0.0.1:0", directory.WriteTestConfig()),
            Hosting.FasterStoreOpener.OpenAsync,
            builder => builder.Configuration[Hosting.AdminToken.EnvironmentVariable] = "only-twenty-chars-xx"));
        Assert.Contains("at least 32", error.Message, StringComparison.Ordinal);
    }
}
