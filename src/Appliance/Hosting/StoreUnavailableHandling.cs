using Outpost.Appliance.Http;
using Outpost.Store;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// Turns a lost store (the PostgreSQL backend's database unreachable, or the connection broken mid-request) into
/// <c>503 {"error":{"code":"STORE_UNAVAILABLE",…}}</c> with a <c>Retry-After</c>. The outcome of the request is then
/// unknown, so the daemon says so instead of guessing; scanner nodes retry with backoff, and Npgsql reconnects as soon
/// as the database is back. Placed right inside the error middleware, so it sees every endpoint and authentication.
/// </summary>
public sealed partial class StoreUnavailableMiddleware(RequestDelegate next, ILogger<StoreUnavailableMiddleware> logger)
{
    public const string Code = "STORE_UNAVAILABLE";

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (StoreUnavailableException ex) when (!context.Response.HasStarted)
        {
            LogUnavailable(logger, context.Request.Method, context.Request.Path, ex.InnerException?.Message ?? ex.Message);
            context.Response.Clear();
            context.Response.Headers.RetryAfter = "2";
            await ErrorWriter.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Code,
                "The job store is unavailable; the request may not have been applied. Retry shortly.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store unavailable on {Method} {Path}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string method, PathString path, string reason);
}
