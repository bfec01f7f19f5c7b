using System.Security.Cryptography;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Http;

namespace Outpost.Appliance.ScannerProtocol;

/// <summary>The scanner that presented the request's API key, for the handlers (saves a second lookup).</summary>
public sealed class AuthenticatedScanner(Store.Model.Scanner scanner)
{
    public Store.Model.Scanner Scanner { get; } = scanner;
}

/// <summary>Endpoint metadata: the endpoint answers scanner nodes only, authenticated by <c>X-API-Key</c>.</summary>
public sealed class ScannerKeyRequired
{
    public static readonly ScannerKeyRequired Instance = new();

    private ScannerKeyRequired()
    {
    }
}

/// <summary>
/// Authenticates <c>X-API-Key</c> on the endpoints marked <see cref="ScannerKeyRequired"/>: SHA-256 of the presented
/// key, lookup by hash, then a constant-time comparison with the stored hash (the lookup finds the candidate; the
/// comparison is what decides). No key, or an unknown one, is 401 UNAUTHORIZED; a disabled scanner's key is 403
/// SCANNER_DISABLED. Every other endpoint passes straight through.
///
/// HOT PATH: every scanner request. This is a plain middleware rather than an ASP.NET Core authentication handler
/// and authorization policy: the framework built a handler, a claims principal, a ticket and an authorization
/// context per request, about a fifth of the daemon's CPU per protocol request (docs/performance.md). Here a request
/// allocates only the feature that carries its scanner to the handler.
/// </summary>
public sealed class ScannerKeyAuthentication(RequestDelegate next, StoreLifetime storeLifetime)
{
    public const string Header = "X-API-Key";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<ScannerKeyRequired>() is null)
        {
            return next(context);
        }

        var values = context.Request.Headers[Header];
        if (values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return ErrorWriter.WriteAsync(context, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized,
                values.Count == 0 ? "The X-API-Key header is missing." : "The API key is not known.");
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var scanner = ApiKeys.TryHash(values[0], hash) ? storeLifetime.Store.FindScannerByKeyHash(hash) : null;
        if (scanner is null || !CryptographicOperations.FixedTimeEquals(scanner.ApiKeyHash, hash))
        {
            return ErrorWriter.WriteAsync(context, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "The API key is not known.");
        }

        if (!scanner.Enabled)
        {
            return ErrorWriter.WriteAsync(context, StatusCodes.Status403Forbidden, ErrorCodes.ScannerDisabled, "This scanner is disabled.");
        }

        context.Features.Set(new AuthenticatedScanner(scanner));
        return next(context);
    }
}
