using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Accounts;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Http;
using Outpost.Store.Records.Accounts;

namespace Outpost.Appliance.Web;

/// <summary>
/// Authenticates users by the web UI's session cookie or by <c>Authorization: Bearer</c> with a personal API token or
/// the admin token (which acts as the built-in <c>admin</c>). The principal carries the user's id, name and role; its
/// authentication type says how, because only cookie-authenticated requests need the CSRF header (a browser attaches
/// cookies to forged requests; it never attaches a bearer token). Wrong bearer tokens count against the address in a
/// <see cref="LoginThrottle"/> of their own with the sign-in's limits, so a token cannot be guessed faster than a
/// password (and a locked sign-in form does not lock out automation from the same address).
/// </summary>
public sealed class UserAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    AdminToken token, SessionStore sessions, AccountService accounts,
    [FromKeyedServices(LoginThrottle.Bearer)] LoginThrottle throttle)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string BearerType = "bearer";
    public const string AdminTokenType = "admin-token";
    public const string SessionType = "session";

    private TimeSpan? _throttled;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization;
        if (authorization.Count > 0)
        {
            return await BearerAsync(authorization[0]);
        }

        if (Request.Cookies.TryGetValue(SessionStore.CookieFor(Request), out var cookie))
        {
            return sessions.Find(cookie) is { } session
                ? Success(Principals.For(session.UserId, session.Username, session.Role, SessionType))
                : AuthenticateResult.Fail("The session has expired.");
        }

        return AuthenticateResult.NoResult();
    }

    private async Task<AuthenticateResult> BearerAsync(string? value)
    {
        var address = LoginThrottle.AddressOf(Context);
        if (throttle.IsBlocked(address, out var retryAfter))
        {
            _throttled = retryAfter;
            return AuthenticateResult.Fail("Too many wrong tokens from this address.");
        }

        const string Prefix = "Bearer ";
        var presented = value is not null && value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? value[Prefix.Length..].Trim() : null;
        if (token.Matches(presented))
        {
            throttle.RecordSuccess(address);
            var admin = await accounts.BuiltInAdminAsync(Context.RequestAborted);
            return Success(Principals.For(admin.Id, admin.Username, UserRole.Admin, AdminTokenType));
        }

        if (presented is not null && await accounts.FindByTokenAsync(presented, Context.RequestAborted) is { } user)
        {
            throttle.RecordSuccess(address);
            return Success(Principals.For(user.Id, user.Username, user.Role, BearerType));
        }

        throttle.RecordFailure(address);
        return AuthenticateResult.Fail("Wrong token.");
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        _throttled is { } retryAfter
            ? new TooManyAttemptsError("Too many wrong tokens or passwords from this address; try again later.", retryAfter).ExecuteAsync(Context)
            : ErrorWriter.WriteAsync(Context, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized,
                "Sign in, or send Authorization: Bearer <API token>.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorWriter.WriteAsync(Context, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "Your role does not allow this.");

    private AuthenticateResult Success(ClaimsPrincipal principal) => AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
}

/// <summary>The claims of a signed-in user, written in one place and read through these helpers.</summary>
public static class Principals
{
    public static ClaimsPrincipal For(long userId, string username, UserRole role, string authenticationType) =>
        new(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, userId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.Name, username),
                new Claim(ClaimTypes.Role, role.Name()),
            ],
            authenticationType, ClaimTypes.Name, ClaimTypes.Role));

    public static long? UserId(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null;

    public static UserRole? Role(this ClaimsPrincipal user) => UserRoles.Parse(user.FindFirstValue(ClaimTypes.Role));

    /// <summary>How the audit log names the caller: the admin token is told apart from the built-in admin's own sign-in.</summary>
    public static string? AuditName(this ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true } identity
            ? identity.AuthenticationType == UserAuthentication.AdminTokenType ? $"{identity.Name} (admin token)" : identity.Name
            : null;
}
