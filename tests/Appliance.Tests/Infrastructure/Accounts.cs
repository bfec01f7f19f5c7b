using System.Net.Http.Headers;

namespace Outpost.Appliance.Tests.Infrastructure;

/// <summary>Users, sign-ins and personal tokens over the real API, for tests that act as someone other than the admin token.</summary>
public static class Accounts
{
    public const string Password = "correct horse battery staple";

    public static async Task<long> CreateUserAsync(this Api api, string username, string role, string password = Password) =>
        (await api.AdminAsync(HttpMethod.Post, "/api/users", new { username, role, password })).AssertOk(201).Json.GetProperty("id").GetInt64();

    /// <summary>Signs in and returns the session cookie as a <c>Cookie</c> header value.</summary>
    public static async Task<string> SignInAsync(this Api api, string username, string password = Password, string? code = null)
    {
        var reply = (await api.SendAsync(HttpMethod.Post, "/api/session", new { username, password, code })).AssertOk(204);
        return reply.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
    }

    /// <summary>A request with a session cookie (and the CSRF header the UI sends).</summary>
    public static Task<Reply> WithCookieAsync(this Api api, string cookie, HttpMethod method, string path, object? body = null) =>
        api.SendAsync(method, path, body, r =>
        {
            r.Headers.Add("Cookie", cookie);
            r.Headers.Add("X-Outpost-Csrf", "1");
        });

    public static Task<Reply> WithTokenAsync(this Api api, string token, HttpMethod method, string path, object? body = null) =>
        api.SendAsync(method, path, body, r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

    /// <summary>Creates a user with this role, signs it in and makes it a personal API token.</summary>
    public static async Task<string> UserTokenAsync(this Api api, string username, string role)
    {
        await api.CreateUserAsync(username, role);
        var cookie = await api.SignInAsync(username);
        return (await api.WithCookieAsync(cookie, HttpMethod.Post, "/api/tokens", new { name = "tests" })).AssertOk(201).Json.GetProperty("token").GetString()!;
    }
}
