using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Http;

namespace Outpost.Appliance.Operations;

/// <summary>
/// Operational endpoints: <c>/healthz</c> (the process answers) and <c>/readyz</c> (the store is recovered and not
/// shutting down) without auth, for systemd, load balancers and probes; <c>/metrics</c> (Prometheus text) for admins,
/// because job counts and scanner names are the appliance's business. Scrapers send the admin token as a bearer.
/// </summary>
public static class OperationsApi
{
    public static RouteGroupBuilder MapOperationsApi(this IEndpointRouteBuilder routes)
    {
        var ops = routes.MapGroup("").AllowAnonymous().WithTags("Operations");
        ops.MapGet("/healthz", () => TypedResults.Ok(new StatusResponse("ok")));
        ops.MapGet("/readyz", Ready);
        routes.MapGet("/metrics", (PrometheusExporter exporter) => TypedResults.Text(exporter.Scrape(), PrometheusExporter.ContentType))
            .RequireAuthorization(AuthPolicies.Viewer).WithTags("Operations");
        return ops;
    }

    private static Results<Ok<StatusResponse>, JsonHttpResult<ErrorResponse>> Ready(StoreLifetime store) =>
        store.Ready
            ? TypedResults.Ok(new StatusResponse("ready"))
            : TypedResults.Json(new ErrorResponse(new ErrorBody(ErrorCodes.NotReady,
                    store.UnavailableReason is { } reason ? "The store cannot write: " + reason + "." : "The store is not open.")),
                OutpostJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
}
