using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;
using Outpost.Appliance.Contracts;

namespace Outpost.Appliance.Http;

/// <summary>The error codes of docs/errors.md, plus the few the framework needs (405, 415, 500).</summary>
public static class ErrorCodes
{
    public const string BadRequest = "BAD_REQUEST";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string Forbidden = "FORBIDDEN";
    public const string ScannerDisabled = "SCANNER_DISABLED";
    public const string IpBindingViolation = "IP_BINDING_VIOLATION";
    public const string JobNotOwned = "JOB_NOT_OWNED";
    public const string NotFound = "NOT_FOUND";
    public const string InvalidTransition = "INVALID_TRANSITION";
    public const string FindingsCapReached = "FINDINGS_CAP_REACHED";
    public const string Csrf = "CSRF";
    public const string Conflict = "CONFLICT";
    public const string TotpRequired = "TOTP_REQUIRED";
    public const string DirectoryUnavailable = "DIRECTORY_UNAVAILABLE";
    public const string TooManyAttempts = "TOO_MANY_ATTEMPTS";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";
    public const string NotReady = "NOT_READY";
    public const string Internal = "INTERNAL_ERROR";

    /// <summary>The code for a status the framework set on its own (no route, wrong method, unreadable body …).</summary>
    public static string ForStatus(int statusCode) => statusCode switch
    {
        StatusCodes.Status400BadRequest => BadRequest,
        StatusCodes.Status401Unauthorized => Unauthorized,
        StatusCodes.Status403Forbidden => Forbidden,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status409Conflict => InvalidTransition,
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
        StatusCodes.Status429TooManyRequests => TooManyAttempts,
        StatusCodes.Status503ServiceUnavailable => NotReady,
        >= 500 => Internal,
        _ => BadRequest,
    };

    public static string DefaultMessage(int statusCode) => statusCode switch
    {
        StatusCodes.Status400BadRequest => "The request is malformed.",
        StatusCodes.Status401Unauthorized => "Authentication is required.",
        StatusCodes.Status403Forbidden => "Access is denied.",
        StatusCodes.Status404NotFound => "No such resource.",
        StatusCodes.Status405MethodNotAllowed => "This method is not allowed on this path.",
        StatusCodes.Status413PayloadTooLarge => "The request body is larger than 1 MiB.",
        StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON (Content-Type: application/json), or image/png for a screenshot upload.",
        StatusCodes.Status503ServiceUnavailable => "The daemon is not ready.",
        >= 500 => "An internal error occurred; the change, if any, was not applied.",
        _ => "The request was refused.",
    };
}

/// <summary>Writes the one error shape of every surface: <c>{"error":{"code","message"}}</c>.</summary>
public static class ErrorWriter
{
    public static Task WriteAsync(HttpContext context, int statusCode, string code, string message)
    {
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(new ErrorBody(code, message)),
            OutpostJsonContext.Default.ErrorResponse, contentType: "application/json; charset=utf-8");
    }
}

/// <summary>
/// An error reply as a typed result. One subclass per status code, so an endpoint's signature
/// (<c>Results&lt;Ok&lt;T&gt;, NotFoundError, ConflictError&gt;</c>) lists the statuses it can answer with, and OpenAPI shows them.
/// </summary>
public abstract class ApiError(int statusCode, string code, string message) : IResult
{
    public int StatusCode { get; } = statusCode;
    public string Code { get; } = code;
    public string Message { get; } = message;

    public virtual Task ExecuteAsync(HttpContext httpContext) => ErrorWriter.WriteAsync(httpContext, StatusCode, Code, Message);

    protected static void Describe(EndpointBuilder builder, int statusCode) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(statusCode, typeof(ErrorResponse), ["application/json"]));
}

public sealed class BadRequestError(string message) : ApiError(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, message), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status400BadRequest);
}

/// <summary>401; the code is UNAUTHORIZED unless a sign-in needs more (TOTP_REQUIRED).</summary>
public sealed class UnauthorizedError(string message, string code = ErrorCodes.Unauthorized)
    : ApiError(StatusCodes.Status401Unauthorized, code, message), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status401Unauthorized);
}

/// <summary>403 with a specific code (IP_BINDING_VIOLATION, JOB_NOT_OWNED, CSRF …).</summary>
public sealed class ForbiddenError(string code, string message) : ApiError(StatusCodes.Status403Forbidden, code, message), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status403Forbidden);
}

/// <summary>415 UNSUPPORTED_MEDIA_TYPE: a body of another type than the route takes.</summary>
public sealed class UnsupportedMediaTypeError(string message)
    : ApiError(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, message), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status415UnsupportedMediaType);
}

public sealed class NotFoundError(string message) : ApiError(StatusCodes.Status404NotFound, ErrorCodes.NotFound, message), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status404NotFound);
}

/// <summary>409: INVALID_TRANSITION for lifecycle changes unless another code says more (FINDINGS_CAP_REACHED; CONFLICT for a name already taken or a user that cannot change).</summary>
public sealed class ConflictError(string message, string code = ErrorCodes.InvalidTransition)
    : ApiError(StatusCodes.Status409Conflict, code, message), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status409Conflict);
}

/// <summary>503 DIRECTORY_UNAVAILABLE: a sign-in that depends on the directory server, which did not answer.</summary>
public sealed class ServiceUnavailableError(string message)
    : ApiError(StatusCodes.Status503ServiceUnavailable, ErrorCodes.DirectoryUnavailable, message), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status503ServiceUnavailable);
}

/// <summary>429 TOO_MANY_ATTEMPTS with a Retry-After header in whole seconds.</summary>
public sealed class TooManyAttemptsError(string message, TimeSpan retryAfter)
    : ApiError(StatusCodes.Status429TooManyRequests, ErrorCodes.TooManyAttempts, message), IEndpointMetadataProvider
{
    public TimeSpan RetryAfter { get; } = retryAfter;

    public override Task ExecuteAsync(HttpContext httpContext)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(RetryAfter.TotalSeconds));
        httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return base.ExecuteAsync(httpContext);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status429TooManyRequests);
}
