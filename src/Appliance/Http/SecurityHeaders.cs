namespace Outpost.Appliance.Http;

/// <summary>
/// The browser-facing hardening on every response, UI and API alike (docs/users-and-audit.md): a Content-Security-Policy
/// that allows only the appliance's own scripts, styles and connections (no inline script, no framing), no MIME
/// sniffing, no referrer, and HSTS when the request came over TLS. Set in OnStarting, because the error middleware
/// clears headers when it rewrites a failed response.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var context = (HttpContext)state;
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            if (context.Request.IsHttps)
            {
                headers.StrictTransportSecurity = "max-age=31536000";
            }

            return Task.CompletedTask;
        }, context);
        return next(context);
    }
}
