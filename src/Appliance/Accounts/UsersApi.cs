using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Audit;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Web;
using Outpost.Store.Records.Accounts;

namespace Outpost.Appliance.Accounts;

/// <summary>
/// User management (admins only; docs/users-and-audit.md): create, list, read, change (role, password, disabled,
/// reset TOTP) and delete. The built-in <c>admin</c> keeps its role and cannot be disabled or deleted, so the
/// appliance always has a way in. A change that touches a user's rights ends that user's sessions.
/// </summary>
public static partial class UsersApi
{
    public static void MapUsersApi(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users").RequireAuthorization(AuthPolicies.Admin);
        users.MapPost("", CreateAsync);
        users.MapGet("", ListAsync);
        users.MapGet("/{id:long}", GetAsync);
        users.MapPatch("/{id:long}", PatchAsync);
        users.MapDelete("/{id:long}", DeleteAsync);
    }

    private static async Task<Results<Created<UserResponse>, BadRequestError, ConflictError>> CreateAsync(HttpContext context, CreateUserRequest body,
        AccountService accounts, TimeProvider clock)
    {
        AuditTrail.NameTarget(context, "username=" + body.Username);
        if (!UsernamePattern().IsMatch(body.Username))
        {
            return new BadRequestError("username must be 1 to 64 letters, digits and . _ @ - characters.");
        }

        if (UserRoles.Parse(body.Role) is not { } role)
        {
            return new BadRequestError("role must be viewer, operator or admin.");
        }

        if (AccountService.CheckPassword(body.Password) is { } problem)
        {
            return new BadRequestError(problem);
        }

        var user = await accounts.Repository.CreateAsync(body.Username, role, UserRecord.LocalSource, accounts.HashPassword(null, body.Password),
            clock.GetUtcNow(), context.RequestAborted);
        return user is null
            ? new ConflictError($"A user named {body.Username} exists.", ErrorCodes.Conflict)
            : TypedResults.Created($"/api/users/{user.Id}", Response(user));
    }

    private static async Task<Ok<UserListResponse>> ListAsync(AccountService accounts, CancellationToken ct) =>
        TypedResults.Ok(new UserListResponse([.. (await accounts.Repository.ListAsync(ct)).Select(Response)]));

    private static async Task<Results<Ok<UserResponse>, NotFoundError>> GetAsync(long id, AccountService accounts, CancellationToken ct) =>
        await accounts.Repository.FindAsync(id, ct) is { } user ? TypedResults.Ok(Response(user)) : new NotFoundError($"No user {id}.");

    private static async Task<Results<Ok<UserResponse>, BadRequestError, NotFoundError, ConflictError>> PatchAsync(long id, PatchUserRequest body,
        AccountService accounts, SessionStore sessions, CancellationToken ct)
    {
        if (await accounts.Repository.FindAsync(id, ct) is not { } user)
        {
            return new NotFoundError($"No user {id}.");
        }

        var changed = user;
        if (body.Role is not null)
        {
            if (UserRoles.Parse(body.Role) is not { } role)
            {
                return new BadRequestError("role must be viewer, operator or admin.");
            }

            changed = changed with { Role = role };
        }

        if (body.Password is not null)
        {
            if (AccountService.CheckPassword(body.Password) is { } problem)
            {
                return new BadRequestError(problem);
            }

            if (user.Source != UserRecord.LocalSource)
            {
                return new ConflictError("A directory user's password is kept in the directory.", ErrorCodes.Conflict);
            }

            changed = changed with { PasswordHash = accounts.HashPassword(user, body.Password) };
        }

        if (body.Disabled is { } disabled)
        {
            changed = changed with { Disabled = disabled };
        }

        if (body.ResetTotp is true)
        {
            changed = changed with { TotpSecret = null, TotpEnabled = false };
        }

        if (AccountService.IsBuiltInAdmin(user) && (changed.Role != UserRole.Admin || changed.Disabled))
        {
            return new ConflictError("The built-in admin stays an enabled admin.", ErrorCodes.Conflict);
        }

        if (!await accounts.Repository.UpdateAsync(changed, ct))
        {
            return new NotFoundError($"No user {id}.");
        }

        sessions.EndAllOf(id);
        return TypedResults.Ok(Response(changed));
    }

    private static async Task<Results<NoContent, NotFoundError, ConflictError>> DeleteAsync(long id, AccountService accounts, SessionStore sessions,
        CancellationToken ct)
    {
        if (await accounts.Repository.FindAsync(id, ct) is not { } user)
        {
            return new NotFoundError($"No user {id}.");
        }

        if (AccountService.IsBuiltInAdmin(user))
        {
            return new ConflictError("The built-in admin cannot be deleted.", ErrorCodes.Conflict);
        }

        await accounts.Repository.DeleteAsync(id, ct);
        sessions.EndAllOf(id);
        return TypedResults.NoContent();
    }

    public static UserResponse Response(UserRecord u) =>
        new(u.Id, u.Username, u.Role.Name(), u.Source, u.Disabled, u.TotpEnabled, u.PasswordHash is not null, u.CreatedAt);

    [GeneratedRegex(@"^[A-Za-z0-9._@-]{1,64}$")]
    private static partial Regex UsernamePattern();
}
