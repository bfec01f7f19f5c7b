using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Admin;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Http;

namespace Outpost.Appliance.Web;

/// <summary>
/// The web UI's login (<c>/api/session</c>), open to anonymous callers by nature. Contract the UI relies on:
/// <list type="bullet">
/// <item><c>POST {"secret"}</c> → 204 and cookie <c>outpost_session</c> (HttpOnly, SameSite=Strict, Secure over HTTPS);
/// wrong secret → 401 UNAUTHORIZED; the 6th try within 5 minutes after 5 failures from one address → 429
/// TOO_MANY_ATTEMPTS with Retry-After.</item>
/// <item><c>GET</c> → 200 <c>{"authenticated":true}</c> (session or bearer) or 401 UNAUTHORIZED.</item>
/// <item><c>DELETE</c> → 204, session ended and cookie cleared (with a session cookie it needs the CSRF header).</item>
/// </list>
/// </summary>
public static class SessionApi
{
    public static RouteGroupBuilder MapSessionApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/session").AllowAnonymous().WithTags("Session");
        group.MapPost("", Login);
        // Cast: a handler taking only HttpContext would otherwise bind as a RequestDelegate and drop its typed result.
        group.MapGet("", (Delegate)Check);
        group.MapDelete("", Logout);
        return group;
    }

    private static Results<NoContent, UnauthorizedError, TooManyAttemptsError> Login(HttpContext context, LoginRequest body, AdminToken token,
        SessionStore sessions, LoginThrottle throttle)
    {
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.IsBlocked(address, out var retryAfter))
        {
            return new TooManyAttemptsError("Too many wrong secrets from this address; try again later.", retryAfter);
        }

        if (!token.Matches(body.Secret))
        {
            throttle.RecordFailure(address);
            return new UnauthorizedError("The secret is wrong.");
        }

        throttle.RecordSuccess(address);
        context.Response.Cookies.Append(SessionStore.CookieName, sessions.Create(), CookieOptions(context, sessions.Lifetime));
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<SessionResponse>, UnauthorizedError>> Check(HttpContext context)
    {
        var result = await context.AuthenticateAsync(AuthPolicies.AdminScheme);
        return result.Succeeded
            ? TypedResults.Ok(new SessionResponse(true))
            : new UnauthorizedError("Not logged in.");
    }

    private static Results<NoContent, ForbiddenError> Logout(HttpContext context, SessionStore sessions)
    {
        if (context.Request.Cookies.TryGetValue(SessionStore.CookieName, out var session))
        {
            if (Csrf.IsMissing(context, sessions.IsValid(session)))
            {
                return Csrf.Refusal();
            }

            sessions.End(session);
        }

        context.Response.Cookies.Delete(SessionStore.CookieName, CookieOptions(context, null));
        return TypedResults.NoContent();
    }

    private static CookieOptions CookieOptions(HttpContext context, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = "/",
        MaxAge = maxAge,
    };
}
