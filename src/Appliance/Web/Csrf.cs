using Outpost.Appliance.Http;

namespace Outpost.Appliance.Web;

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

    /// <summary>Endpoint filter for the signed-in API groups.</summary>
    public static ValueTask<object?> Filter(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        return IsMissing(context, context.User.Identity?.AuthenticationType == UserAuthentication.SessionType)
            ? ValueTask.FromResult<object?>(Refusal())
            : next(invocation);
    }
}
