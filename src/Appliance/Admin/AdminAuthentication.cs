using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Http;
using Outpost.Appliance.Web;

namespace Outpost.Appliance.Admin;

/// <summary>
/// Authenticates admins by <c>Authorization: Bearer &lt;admin token&gt;</c> (automation) or by the web UI's session
/// cookie. The principal's authentication type says which, because only cookie-authenticated requests need the CSRF
/// header (a browser attaches cookies to forged requests; it never attaches a bearer token).
/// </summary>
public sealed class AdminAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    AdminToken token, SessionStore sessions) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string BearerType = "bearer";
    public const string SessionType = "session";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization;
        if (authorization.Count > 0)
        {
            var value = authorization[0];
            const string Prefix = "Bearer ";
            return Task.FromResult(value is not null && value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && token.Matches(value[Prefix.Length..].Trim())
                ? Success(BearerType)
                : AuthenticateResult.Fail("Wrong admin token."));
        }

        if (Request.Cookies.TryGetValue(SessionStore.CookieName, out var session))
        {
            return Task.FromResult(sessions.IsValid(session) ? Success(SessionType) : AuthenticateResult.Fail("The session has expired."));
        }

        return Task.FromResult(AuthenticateResult.NoResult());
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ErrorWriter.WriteAsync(Context, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized,
            "Log in, or send Authorization: Bearer <admin token>.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorWriter.WriteAsync(Context, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, ErrorCodes.DefaultMessage(StatusCodes.Status403Forbidden));

    private AuthenticateResult Success(string type) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(type)), Scheme.Name));
}

/// <summary>
/// CSRF defence for cookie sessions: a state-changing request must carry <c>X-Outpost-Csrf: 1</c>. A cross-site form
/// cannot set custom headers, and a cross-site script that could would be stopped by CORS preflight, so the header
/// proves the request came from the UI's own pages. Bearer-authenticated requests are exempt (no ambient credential).
/// </summary>
public static class Csrf
{
    public const string Header = "X-Outpost-Csrf";

    /// <summary>True when the request is cookie-authenticated, changes state, and lacks the header.</summary>
    public static bool IsMissing(HttpContext context, bool cookieAuthenticated) =>
        cookieAuthenticated
        && !HttpMethods.IsGet(context.Request.Method)
        && !HttpMethods.IsHead(context.Request.Method)
        && context.Request.Headers[Header] != "1";

    public static ForbiddenError Refusal() => new(ErrorCodes.Csrf, $"Cookie-authenticated changes need the {Header}: 1 header.");

    /// <summary>Endpoint filter for the admin group.</summary>
    public static ValueTask<object?> Filter(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        return IsMissing(context, context.User.Identity?.AuthenticationType == AdminAuthentication.SessionType)
            ? ValueTask.FromResult<object?>(Refusal())
            : next(invocation);
    }
}
