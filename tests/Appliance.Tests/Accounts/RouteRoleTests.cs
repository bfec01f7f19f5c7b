using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests.Accounts;

/// <summary>
/// Every route of the app, read from its endpoint data source (so a route added anywhere is walked too), called by
/// nobody, a viewer, an operator and an admin, each outcome checked against the table below. A route missing from the
/// table fails the test: whoever adds a route decides here who may call it (docs/users-and-audit.md has the same table).
/// </summary>
public sealed class RouteRoleTests
{
    private enum Needs
    {
        Nobody,
        Scanner,
        Viewer,
        Operator,
        Admin,
    }

    private static readonly Dictionary<string, Needs> Table = new(StringComparer.Ordinal)
    {
        ["GET /healthz"] = Needs.Nobody,
        ["GET /readyz"] = Needs.Nobody,
        ["GET /metrics"] = Needs.Viewer,
        ["GET /openapi/{documentName}.json"] = Needs.Viewer,
        ["POST /api/session"] = Needs.Nobody,
        ["GET /api/session"] = Needs.Nobody,
        ["DELETE /api/session"] = Needs.Nobody,
        ["GET /scanner/jobs"] = Needs.Scanner,
        ["POST /scanner/jobs/{jobId:long}/start"] = Needs.Scanner,
        ["POST /scanner/jobs/{jobId:long}/progress"] = Needs.Scanner,
        ["POST /scanner/jobs/{jobId:long}/complete"] = Needs.Scanner,
        ["POST /scanner/jobs/{jobId:long}/results"] = Needs.Scanner,
        ["POST /scanner/heartbeat"] = Needs.Scanner,
        ["PUT /scanner/jobs/{jobId:long}/screenshots"] = Needs.Scanner,
        ["GET /api/scanners"] = Needs.Viewer,
        ["GET /api/scanners/{id:long}"] = Needs.Viewer,
        ["POST /api/scanners"] = Needs.Admin,
        ["PATCH /api/scanners/{id:long}"] = Needs.Admin,
        ["POST /api/scanners/{id:long}/rotate-key"] = Needs.Admin,
        ["GET /api/scans"] = Needs.Viewer,
        ["GET /api/scans/{id:long}"] = Needs.Viewer,
        ["GET /api/scans/{id:long}/results"] = Needs.Viewer,
        ["GET /api/scans/{id:long}/services"] = Needs.Viewer,
        ["GET /api/scans/{id:long}/pages"] = Needs.Viewer,
        ["GET /api/scans/{id:long}/screenshots/{ip}/{port:int}"] = Needs.Viewer,
        ["GET /api/scans/{id:long}/changes"] = Needs.Viewer,
        ["GET /api/assets"] = Needs.Viewer,
        ["GET /api/assets/services"] = Needs.Viewer,
        ["GET /api/assets/{ip}"] = Needs.Viewer,
        ["POST /api/scans"] = Needs.Operator,
        ["POST /api/scans/{id:long}/stop"] = Needs.Operator,
        ["DELETE /api/scans/{id:long}"] = Needs.Operator,
        ["GET /api/jobs"] = Needs.Viewer,
        ["GET /api/jobs/{id:long}"] = Needs.Viewer,
        ["POST /api/jobs/{id:long}/rerun"] = Needs.Operator,
        ["GET /api/schedules"] = Needs.Viewer,
        ["GET /api/schedules/{id:long}"] = Needs.Viewer,
        ["GET /api/scheduler"] = Needs.Viewer,
        ["POST /api/scheduler/pause"] = Needs.Operator,
        ["POST /api/scheduler/resume"] = Needs.Operator,
        ["GET /api/settings/scan"] = Needs.Viewer,
        ["PUT /api/settings/scan"] = Needs.Admin,
        ["GET /api/alarms"] = Needs.Viewer,
        ["GET /api/alarms/kinds"] = Needs.Viewer,
        ["POST /api/store/backup"] = Needs.Admin,
        ["GET /api/appliance"] = Needs.Viewer,
        ["POST /api/users"] = Needs.Admin,
        ["GET /api/users"] = Needs.Admin,
        ["GET /api/users/{id:long}"] = Needs.Admin,
        ["PATCH /api/users/{id:long}"] = Needs.Admin,
        ["DELETE /api/users/{id:long}"] = Needs.Admin,
        ["POST /api/tokens"] = Needs.Viewer,
        ["GET /api/tokens"] = Needs.Viewer,
        ["DELETE /api/tokens/{id:long}"] = Needs.Viewer,
        ["PUT /api/account/password"] = Needs.Viewer,
        ["POST /api/account/totp"] = Needs.Viewer,
        ["POST /api/account/totp/confirm"] = Needs.Viewer,
        ["GET /api/audit"] = Needs.Admin,
        ["GET /api/vulnerabilities"] = Needs.Viewer,
        ["GET /api/vulnerabilities/{id:long}"] = Needs.Viewer,
        ["PATCH /api/vulnerabilities/{id:long}"] = Needs.Operator,
        ["GET /api/settings/notifications"] = Needs.Admin,
        ["PUT /api/settings/notifications"] = Needs.Admin,
        ["POST /api/settings/notifications/test"] = Needs.Admin,
        ["GET /api/notifications/deliveries"] = Needs.Admin,
    };

    [Fact]
    public async Task Every_route_answers_each_role_as_the_table_says()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var callers = new (string Name, Needs Role, string? Token)[]
        {
            ("nobody", Needs.Nobody, null),
            ("viewer", Needs.Viewer, await api.UserTokenAsync("walk-viewer", "viewer")),
            ("operator", Needs.Operator, await api.UserTokenAsync("walk-operator", "operator")),
            ("admin", Needs.Admin, await api.UserTokenAsync("walk-admin", "admin")),
        };

        var routes = daemon.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, e.RoutePattern)))
            .ToList();
        var keys = routes.Select(r => Key(r.Method, r.RoutePattern)).ToList();
        var unlisted = keys.Where(k => !Table.ContainsKey(k)).ToList();
        Assert.True(unlisted.Count == 0, "routes missing from the role table (add them, with the role they need):\n" + string.Join('\n', unlisted));
        var gone = Table.Keys.Except(keys).ToList();
        Assert.True(gone.Count == 0, "table rows for routes the app no longer has:\n" + string.Join('\n', gone));

        var wrong = new List<string>();
        foreach (var (method, pattern) in routes)
        {
            var key = Key(method, pattern);
            var needs = Table[key];
            var path = Path(pattern);
            foreach (var (name, role, token) in callers)
            {
                var body = method is "GET" or "HEAD" or "DELETE" ? null : new { };
                var reply = token is null
                    ? await api.SendAsync(new HttpMethod(method), path, body)
                    : await api.WithTokenAsync(token, new HttpMethod(method), path, body);
                var expected = Expect(needs, role, key);
                if (!expected(reply))
                {
                    wrong.Add($"{key} as {name}: got {reply.Code} {Trim(reply.Body)}");
                }
            }
        }

        Assert.True(wrong.Count == 0, "outcomes that differ from the table:\n" + string.Join('\n', wrong));
    }

    private static Func<Reply, bool> Expect(Needs needs, Needs caller, string key) => needs switch
    {
        // Who is signed in: the one open route that answers 401 to nobody by design.
        Needs.Nobody when key == "GET /api/session" => r => r.Code == (caller == Needs.Nobody ? 401 : 200),
        Needs.Nobody => r => r.Code is not (401 or 403),
        Needs.Scanner => r => r.Code == 401,
        _ when caller == Needs.Nobody => r => r.Code == 401 && ErrorCode(r) == "UNAUTHORIZED",
        _ when caller < needs => r => r.Code == 403 && ErrorCode(r) == "FORBIDDEN",
        _ => r => r.Code is not (401 or 403),
    };

    private static string? ErrorCode(Reply reply) =>
        reply.Json.TryGetProperty("error", out var error) ? error.GetProperty("code").GetString() : null;

    private static string Key(string method, RoutePattern pattern) => $"{method} /{pattern.RawText!.Trim('/')}";

    /// <summary>A concrete path: ids that exist nowhere (so no caller changes a real row), the one OpenAPI document.</summary>
    private static string Path(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart { Name: "documentName" } => "v1",
            RoutePatternParameterPart => "999999",
            _ => throw new InvalidOperationException($"unexpected route part in {pattern.RawText}"),
        }))));

    private static string Trim(string body) => body.Length > 160 ? body[..160] : body;
}
