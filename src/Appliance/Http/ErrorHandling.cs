namespace Outpost.Appliance.Http;

/// <summary>
/// Makes every failure the framework produces on its own speak the API's error shape: unreadable or oversized bodies
/// (thrown as <see cref="BadHttpRequestException"/>, because route handlers are set to throw on bad requests),
/// unexpected exceptions (500), and empty 404/405/415 replies from routing and binding.
/// </summary>
public static class ErrorHandling
{
    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app)
    {
        app.UseMiddleware<ExceptionToErrorMiddleware>();
        // Only replies that have neither started nor got a body: those written by our own results pass untouched.
        app.UseStatusCodePages(context =>
        {
            var status = context.HttpContext.Response.StatusCode;
            return ErrorWriter.WriteAsync(context.HttpContext, status, ErrorCodes.ForStatus(status), ErrorCodes.DefaultMessage(status));
        });
        return app;
    }
}

internal sealed partial class ExceptionToErrorMiddleware(RequestDelegate next, ILogger<ExceptionToErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            // Malformed JSON, wrong types, missing body, a body over the 1 MiB limit: the client's fault, said plainly.
            context.Response.Clear();
            var message = ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? ErrorCodes.DefaultMessage(ex.StatusCode)
                : Describe(ex);
            await ErrorWriter.WriteAsync(context, ex.StatusCode, ErrorCodes.ForStatus(ex.StatusCode), message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            LogUnhandled(logger, ex, context.Request.Method, context.Request.Path);
            context.Response.Clear();
            await ErrorWriter.WriteAsync(context, StatusCodes.Status500InternalServerError, ErrorCodes.Internal,
                ErrorCodes.DefaultMessage(StatusCodes.Status500InternalServerError));
        }
    }

    // The binder's message names the parameter; the inner JSON error says where the body went wrong.
    private static string Describe(BadHttpRequestException ex) =>
        ex.InnerException is System.Text.Json.JsonException json ? $"{ex.Message} {json.Message}" : ex.Message;

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, PathString path);
}
