using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Accounts;
using Outpost.Appliance.Audit;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Http;
using Outpost.Store.Records.Accounts;

namespace Outpost.Appliance.Web;

/// <summary>
/// Sign-in (<c>/api/session</c>), open to anonymous callers by nature (docs/users-and-audit.md):
/// <list type="bullet">
/// <item><c>POST {"username","password"[,"code"]}</c> → 204 and the session cookie (HttpOnly, SameSite=Strict; over
/// HTTPS <c>__Host-</c> and Secure). Local users are checked against their password hash, others against the
/// directory when it is configured. A user with TOTP on and no code → 401 TOTP_REQUIRED.</item>
/// <item><c>POST {"secret"}</c> (the admin secret) → the built-in <c>admin</c>; until it has a password the session says
/// <c>mustSetPassword</c> and the UI asks for one.</item>
/// <item>Wrong credentials → 401 UNAUTHORIZED; after 5 failures from one address in 5 minutes → 429 TOO_MANY_ATTEMPTS
/// with Retry-After. Every attempt is in the audit log.</item>
/// <item><c>GET</c> → 200 who is signed in (session or bearer), or 401. <c>DELETE</c> → 204, session ended (with a
/// session cookie it needs the CSRF header).</item>
/// </list>
/// </summary>
public static class SessionApi
{
    public static RouteGroupBuilder MapSessionApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/session").AllowAnonymous().WithTags("Session");
        group.MapPost("", LoginAsync);
        // Cast: a handler taking only HttpContext would otherwise bind as a RequestDelegate and drop its typed result.
        group.MapGet("", (Delegate)CheckAsync);
        group.MapDelete("", Logout);
        return group;
    }

    private static async Task<Results<NoContent, BadRequestError, UnauthorizedError, TooManyAttemptsError, ServiceUnavailableError>> LoginAsync(
        HttpContext context, LoginRequest body, AdminToken token, SessionStore sessions, LoginThrottle throttle, AccountService accounts,
        DirectorySignIn directory, TimeProvider clock)
    {
        var address = LoginThrottle.AddressOf(context);
        AuditTrail.NameActor(context, body.Secret is not null ? UserRecord.BuiltInAdmin + " (admin secret)" : body.Username, null);
        if (throttle.IsBlocked(address, out var retryAfter))
        {
            return new TooManyAttemptsError("Too many failed sign-ins from this address; try again later.", retryAfter);
        }

        UserRecord? user;
        var mustSetPassword = false;
        if (body.Secret is not null)
        {
            user = token.Matches(body.Secret) ? await accounts.Repository.FindAsync((await accounts.BuiltInAdminAsync()).Id) : null;
            mustSetPassword = user is { PasswordHash: null };
        }
        else if (string.IsNullOrEmpty(body.Username) || body.Password is null)
        {
            return new BadRequestError("Send username and password (or the admin secret).");
        }
        else
        {
            try
            {
                user = await PasswordUserAsync(body.Username, body.Password, accounts, directory, clock);
            }
            catch (DirectoryUnavailableException ex)
            {
                return new ServiceUnavailableError(ex.Message);
            }
        }

        if (user is null || user.Disabled)
        {
            throttle.RecordFailure(address);
            return new UnauthorizedError(body.Secret is null ? "The username or password is wrong." : "The secret is wrong.");
        }

        if (body.Secret is null && user is { TotpEnabled: true, TotpSecret: { } secret })
        {
            if (string.IsNullOrEmpty(body.Code))
            {
                return new UnauthorizedError("Enter the code from your authenticator app.", ErrorCodes.TotpRequired);
            }

            if (!await accounts.AcceptTotpAsync(user, secret, body.Code))
            {
                throttle.RecordFailure(address);
                return new UnauthorizedError("The code is wrong.");
            }
        }

        throttle.RecordSuccess(address);
        AuditTrail.NameActor(context, body.Secret is null ? user.Username : user.Username + " (admin secret)", user.Role);
        var id = sessions.Create(new SessionUser(user.Id, user.Username, user.Role, mustSetPassword));
        context.Response.Cookies.Append(SessionStore.CookieFor(context.Request), id, CookieOptions(context, sessions.Lifetime));
        return TypedResults.NoContent();
    }

    /// <summary>A local user with a password is checked here; anyone else goes to the directory, and gets a row (and its role) on success.</summary>
    private static async Task<UserRecord?> PasswordUserAsync(string username, string password, AccountService accounts, DirectorySignIn directory,
        TimeProvider clock)
    {
        var user = await accounts.Repository.FindByNameAsync(username);
        if (user is { Source: UserRecord.LocalSource })
        {
            return await accounts.VerifyPasswordAsync(user, password) ? user : null;
        }

        if (!directory.Enabled || directory.Authenticate(username, password) is not { } role)
        {
            return null;
        }

        if (user is null)
        {
            return await accounts.Repository.CreateAsync(username, role, UserRecord.DirectorySource, null, clock.GetUtcNow())
                ?? await accounts.Repository.FindByNameAsync(username);
        }

        if (user.Role != role)
        {
            user = user with { Role = role };
            await accounts.Repository.UpdateAsync(user);
        }

        return user;
    }

    private static async Task<Results<Ok<SessionResponse>, UnauthorizedError>> CheckAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(AuthPolicies.UserScheme);
        if (!result.Succeeded || result.Principal.UserId() is not { } userId)
        {
            return new UnauthorizedError("Not signed in.");
        }

        var services = context.RequestServices;
        var user = await services.GetRequiredService<AccountService>().Repository.FindAsync(userId, context.RequestAborted);
        var session = context.Request.Cookies.TryGetValue(SessionStore.CookieFor(context.Request), out var cookie)
            ? services.GetRequiredService<SessionStore>().Find(cookie)
            : null;
        return TypedResults.Ok(new SessionResponse(true, result.Principal.Identity!.Name!, (result.Principal.Role() ?? UserRole.Viewer).Name(),
            session?.MustSetPassword ?? false, user?.TotpEnabled ?? false));
    }

    private static Results<NoContent, ForbiddenError> Logout(HttpContext context, SessionStore sessions)
    {
        if (context.Request.Cookies.TryGetValue(SessionStore.CookieFor(context.Request), out var session))
        {
            if (Csrf.IsMissing(context, sessions.Find(session) is not null))
            {
                return Csrf.Refusal();
            }

            sessions.End(session);
        }

        context.Response.Cookies.Delete(SessionStore.CookieFor(context.Request), CookieOptions(context, null));
        return TypedResults.NoContent();
    }

    private static CookieOptions CookieOptions(HttpContext context, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = "/",
        MaxAge = maxAge,
    };
}
