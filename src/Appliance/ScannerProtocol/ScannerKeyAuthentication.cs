using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Http;
using Outpost.Store;

namespace Outpost.Appliance.ScannerProtocol;

/// <summary>The scanner that presented the request's API key, for the handlers (saves a second lookup).</summary>
public sealed class AuthenticatedScanner(Store.Model.Scanner scanner)
{
    public Store.Model.Scanner Scanner { get; } = scanner;
}

/// <summary>
/// Authenticates <c>X-API-Key</c>: SHA-256 of the presented key, lookup by hash, then a constant-time comparison with
/// the stored hash (the lookup finds the candidate; the comparison is what decides). A disabled scanner still
/// authenticates, without the enabled claim, so the policy answers 403 SCANNER_DISABLED rather than 401.
/// </summary>
public sealed class ScannerKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IOutpostStore store) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string Header = "X-API-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var values = Request.Headers[Header];
        if (values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        if (!ApiKeys.TryHash(values[0], hash))
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        var scanner = store.FindScannerByKeyHash(hash);
        if (scanner is null || !CryptographicOperations.FixedTimeEquals(scanner.ApiKeyHash, hash))
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        Context.Features.Set(new AuthenticatedScanner(scanner));
        var identity = new ClaimsIdentity(Scheme.Name);
        if (scanner.Enabled)
        {
            identity.AddClaim(new Claim(AuthPolicies.EnabledClaim, "true"));
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ErrorWriter.WriteAsync(Context, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized,
            Request.Headers[Header].Count == 0 ? "The X-API-Key header is missing." : "The API key is not known.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorWriter.WriteAsync(Context, StatusCodes.Status403Forbidden, ErrorCodes.ScannerDisabled, "This scanner is disabled.");
}
