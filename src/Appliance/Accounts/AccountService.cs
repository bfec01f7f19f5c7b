using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Outpost.Appliance.Hosting;
using Outpost.Store.Records.Accounts;

namespace Outpost.Appliance.Accounts;

/// <summary>
/// The rules around users that sit above their storage: password hashing (the framework's
/// <see cref="PasswordHasher{TUser}"/>, PBKDF2 with a per-password salt), personal API tokens (shown once, only their
/// SHA-256 kept: they are 256 random bits, so a slow hash would add nothing), and the built-in <c>admin</c> user that the
/// admin secret and the admin token act as. docs/users-and-audit.md describes them.
/// </summary>
public sealed class AccountService(AccountRepository repository, TotpCodes totp, TimeProvider clock)
{
    public const int MinPasswordLength = 12;
    public const string TokenPrefix = "opt_";

    private readonly PasswordHasher<UserRecord> _hasher = new();
    private UserRecord? _builtInAdmin;

    public AccountRepository Repository => repository;

    /// <summary>The built-in admin (created on first use). Its id never changes; its row is read again for the password and TOTP.</summary>
    public async Task<UserRecord> BuiltInAdminAsync(CancellationToken ct = default)
    {
        if (Volatile.Read(ref _builtInAdmin) is { } known)
        {
            return known;
        }

        var admin = await repository.FindByNameAsync(UserRecord.BuiltInAdmin, ct)
            ?? await repository.CreateAsync(UserRecord.BuiltInAdmin, UserRole.Admin, UserRecord.LocalSource, null, clock.GetUtcNow(), ct)
            ?? await repository.FindByNameAsync(UserRecord.BuiltInAdmin, ct)
            ?? throw new InvalidOperationException("The built-in admin user could not be created.");
        Volatile.Write(ref _builtInAdmin, admin);
        return admin;
    }

    public static bool IsBuiltInAdmin(UserRecord user) => user.Username == UserRecord.BuiltInAdmin && user.Source == UserRecord.LocalSource;

    /// <summary>Null when the password is acceptable, else why not.</summary>
    public static string? CheckPassword(string? password) =>
        password is null || password.Length < MinPasswordLength ? $"password must be at least {MinPasswordLength} characters." :
        password.Length > 1024 ? "password must be at most 1024 characters." : null;

    public string HashPassword(UserRecord? user, string password) => _hasher.HashPassword(user!, password);

    /// <summary>Checks a password; when the hash uses older parameters, the user gets a new hash (stored).</summary>
    public async Task<bool> VerifyPasswordAsync(UserRecord user, string password, CancellationToken ct = default)
    {
        if (user.PasswordHash is null)
        {
            return false;
        }

        var result = _hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await repository.UpdateAsync(user with { PasswordHash = _hasher.HashPassword(user, password) }, ct);
        }

        return result != PasswordVerificationResult.Failed;
    }

    /// <summary>
    /// Accepts a second-factor code once: it must match the user's secret, and its time step must be later than the
    /// last one accepted, so a code read off a screen or the wire is useless after its first use.
    /// </summary>
    public async Task<bool> AcceptTotpAsync(UserRecord user, string secret, string? code, CancellationToken ct = default) =>
        totp.MatchingStep(secret, code) is { } step && await repository.ConsumeTotpStepAsync(user.Id, step, ct);

    /// <summary>Creates a personal token for the user; the plain token is in the result, the one time it exists.</summary>
    public async Task<(ApiTokenRecord Record, string Token)> CreateTokenAsync(long userId, string name, CancellationToken ct = default)
    {
        var token = Secrets.NewToken(TokenPrefix);
        var record = await repository.CreateTokenAsync(userId, name, TokenHash(token), clock.GetUtcNow(), ct);
        return (record, token);
    }

    public Task<UserRecord?> FindByTokenAsync(string token, CancellationToken ct = default) =>
        token.StartsWith(TokenPrefix, StringComparison.Ordinal) ? repository.FindByTokenHashAsync(TokenHash(token), ct) : Task.FromResult<UserRecord?>(null);

    private static string TokenHash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
