using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Audit;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Web;
using Outpost.Store.Records.Accounts;

namespace Outpost.Appliance.Accounts;

/// <summary>
/// What every signed-in user does to their own account (docs/users-and-audit.md): personal API tokens
/// (<c>/api/tokens</c>: create, shown once; list; revoke), their password (<c>PUT /api/account/password</c>) and the
/// TOTP second factor (<c>POST /api/account/totp</c> enrols, <c>…/totp/confirm</c> with a code turns it on; from then
/// on sign-in needs a code). A token carries its user's role as it is at each request.
/// </summary>
public static class AccountApi
{
    public static void MapAccountApi(this RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("Tokens").RequireAuthorization(AuthPolicies.Viewer);
        tokens.MapPost("", CreateTokenAsync);
        tokens.MapGet("", ListTokensAsync);
        tokens.MapDelete("/{id:long}", RevokeTokenAsync);

        var account = api.MapGroup("/account").WithTags("Account").RequireAuthorization(AuthPolicies.Viewer);
        account.MapPut("/password", SetPasswordAsync);
        account.MapPost("/totp", EnrolTotpAsync);
        account.MapPost("/totp/confirm", ConfirmTotpAsync);
    }

    private static async Task<Results<Created<CreatedTokenResponse>, BadRequestError>> CreateTokenAsync(HttpContext context, CreateTokenRequest body,
        AccountService accounts)
    {
        AuditTrail.NameTarget(context, "name=" + body.Name);
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100)
        {
            return new BadRequestError("name must be 1 to 100 characters.");
        }

        var (record, token) = await accounts.CreateTokenAsync(context.User.UserId()!.Value, body.Name.Trim(), context.RequestAborted);
        return TypedResults.Created($"/api/tokens/{record.Id}", new CreatedTokenResponse(record.Id, record.Name, token));
    }

    private static async Task<Ok<TokenListResponse>> ListTokensAsync(HttpContext context, AccountService accounts) =>
        TypedResults.Ok(new TokenListResponse([.. (await accounts.Repository.ListTokensAsync(context.User.UserId()!.Value, context.RequestAborted))
            .Select(t => new TokenResponse(t.Id, t.Name, t.CreatedAt))]));

    private static async Task<Results<NoContent, NotFoundError>> RevokeTokenAsync(long id, HttpContext context, AccountService accounts) =>
        await accounts.Repository.DeleteTokenAsync(context.User.UserId()!.Value, id, context.RequestAborted)
            ? TypedResults.NoContent()
            : new NotFoundError($"You have no token {id}.");

    private static async Task<Results<NoContent, BadRequestError, UnauthorizedError, ConflictError>> SetPasswordAsync(HttpContext context,
        SetPasswordRequest body, AccountService accounts, SessionStore sessions)
    {
        var user = await CurrentAsync(context, accounts);
        if (user.Source != UserRecord.LocalSource)
        {
            return new ConflictError("A directory user's password is changed in the directory.", ErrorCodes.Conflict);
        }

        if (AccountService.CheckPassword(body.Password) is { } problem)
        {
            return new BadRequestError(problem);
        }

        if (user.PasswordHash is not null && (body.CurrentPassword is null || !await accounts.VerifyPasswordAsync(user, body.CurrentPassword)))
        {
            return new UnauthorizedError("The current password is wrong.");
        }

        await accounts.Repository.UpdateAsync(user with { PasswordHash = accounts.HashPassword(user, body.Password) }, context.RequestAborted);
        // Other sessions of this user end (a changed password should lock out whoever had the old one); this one goes on.
        context.Request.Cookies.TryGetValue(SessionStore.CookieFor(context.Request), out var cookie);
        sessions.EndAllOf(user.Id, keep: cookie);
        if (cookie is not null)
        {
            sessions.PasswordSet(cookie);
        }

        return TypedResults.NoContent();
    }

    private static async Task<Ok<TotpEnrolmentResponse>> EnrolTotpAsync(HttpContext context, AccountService accounts)
    {
        var user = await CurrentAsync(context, accounts);
        // A new secret replaces any earlier one, but sign-in keeps asking for codes only once this one is confirmed.
        var secret = TotpCodes.NewSecret();
        await accounts.Repository.UpdateAsync(user with { TotpSecret = secret, TotpEnabled = false }, context.RequestAborted);
        return TypedResults.Ok(new TotpEnrolmentResponse(secret, TotpCodes.Uri(secret, user.Username)));
    }

    private static async Task<Results<NoContent, BadRequestError>> ConfirmTotpAsync(HttpContext context, TotpConfirmRequest body,
        AccountService accounts)
    {
        var user = await CurrentAsync(context, accounts);
        if (user.TotpSecret is null)
        {
            return new BadRequestError("Enrol first (POST /api/account/totp).");
        }

        if (!await accounts.AcceptTotpAsync(user, user.TotpSecret, body.Code, context.RequestAborted))
        {
            return new BadRequestError("The code is wrong; check the authenticator app's clock and try the current code.");
        }

        await accounts.Repository.UpdateAsync(user with { TotpEnabled = true }, context.RequestAborted);
        return TypedResults.NoContent();
    }

    private static async Task<UserRecord> CurrentAsync(HttpContext context, AccountService accounts) =>
        await accounts.Repository.FindAsync(context.User.UserId()!.Value, context.RequestAborted)
            ?? throw new InvalidOperationException("The signed-in user no longer exists.");
}
