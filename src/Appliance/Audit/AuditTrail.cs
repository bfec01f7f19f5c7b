using System.Globalization;
using Outpost.Appliance.Web;
using Outpost.Store.Records.Accounts;
using Outpost.Store.Records.Audit;

namespace Outpost.Appliance.Audit;

/// <summary>
/// Records every state-changing API request (every method but GET, HEAD and OPTIONS under <c>/api</c>), sign-ins and
/// refused attempts included, as one <see cref="AuditEntry"/>: time, user and role, source address, action (method
/// and route pattern), target (the route's values, or what the handler names) and the status it got. The entry is
/// written in the response's OnStarting callback, that is after the handler decided and before a single byte of the
/// answer leaves: a change is never acknowledged without its entry, and a failed write turns the answer into a 500.
/// docs/users-and-audit.md lists the fields.
/// </summary>
public sealed class AuditTrail(RequestDelegate next)
{
    private const string ActorKey = "outpost.audit.actor";
    private const string TargetKey = "outpost.audit.target";

    /// <summary>Names the caller where the request's own principal does not (sign-in: the username tried).</summary>
    public static void NameActor(HttpContext context, string? username, UserRole? role) => context.Items[ActorKey] = new Actor(username, role);

    /// <summary>Names what the request acted on where the route's values do not (a new user's name, a new token's name).</summary>
    public static void NameTarget(HttpContext context, string target) => context.Items[TargetKey] = target;

    public Task InvokeAsync(HttpContext context, AuditRepository audit, TimeProvider clock)
    {
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
            || !context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            return next(context);
        }

        context.Response.OnStarting(() => audit.AppendAsync(Entry(context, clock.GetUtcNow())));
        return next(context);
    }

    private static AuditEntry Entry(HttpContext context, DateTimeOffset now)
    {
        string? username;
        string? role;
        if (context.Items.TryGetValue(ActorKey, out var named) && named is Actor actor)
        {
            username = actor.Username;
            role = actor.Role?.Name();
        }
        else
        {
            username = context.User.AuditName();
            role = context.User.Role()?.Name();
        }

        var endpoint = context.GetEndpoint() as RouteEndpoint;
        var action = $"{context.Request.Method} {(endpoint?.RoutePattern.RawText is { } pattern ? "/" + pattern.Trim('/') : context.Request.Path.Value)}";
        var target = context.Items.TryGetValue(TargetKey, out var t) && t is string text ? text : RouteValues(context);
        return new AuditEntry(0, now, Truncate(username), role, context.Connection.RemoteIpAddress?.ToString(), Truncate(action)!, Truncate(target),
            context.Response.StatusCode);
    }

    private static string? RouteValues(HttpContext context)
    {
        var values = context.Request.RouteValues;
        return values.Count == 0 ? null : string.Join(' ', values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key}={v.Value}")));
    }

    private sealed record Actor(string? Username, UserRole? Role);

    // Whatever a caller sends (a username tried, an unknown path) is kept, but not without bound.
    private static string? Truncate(string? text) => text is { Length: > 200 } ? text[..200] : text;
}
