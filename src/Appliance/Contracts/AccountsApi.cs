namespace Outpost.Appliance.Contracts;

// The wire shapes of sign-in, users, personal tokens and the audit log (docs/users-and-audit.md).

/// <summary>Sign-in: <see cref="Username"/> and <see cref="Password"/> (plus <see cref="Code"/> once TOTP is on), or the admin <see cref="Secret"/>.</summary>
public sealed record LoginRequest
{
    public string? Username { get; init; }
    public string? Password { get; init; }
    public string? Code { get; init; }
    public string? Secret { get; init; }
}

/// <summary>Who is signed in. <see cref="MustSetPassword"/>: the built-in admin signed in with the secret and has no password yet.</summary>
public sealed record SessionResponse(bool Authenticated, string Username, string Role, bool MustSetPassword, bool TotpEnabled);

public sealed record CreateUserRequest
{
    public required string Username { get; init; }
    public required string Role { get; init; }
    public required string Password { get; init; }
}

/// <summary>Each field present changes that field; <see cref="ResetTotp"/> turns the user's second factor off (lost phone).</summary>
public sealed record PatchUserRequest
{
    public string? Role { get; init; }
    public string? Password { get; init; }
    public bool? Disabled { get; init; }
    public bool? ResetTotp { get; init; }
}

public sealed record UserResponse(long Id, string Username, string Role, string Source, bool Disabled, bool TotpEnabled, bool HasPassword,
    DateTimeOffset CreatedAt);

public sealed record UserListResponse(IReadOnlyList<UserResponse> Users);

public sealed record CreateTokenRequest
{
    public required string Name { get; init; }
}

/// <summary>The one reply that holds the token itself.</summary>
public sealed record CreatedTokenResponse(long Id, string Name, string Token);

public sealed record TokenResponse(long Id, string Name, DateTimeOffset CreatedAt);

public sealed record TokenListResponse(IReadOnlyList<TokenResponse> Tokens);

/// <summary>A user's own password change; <see cref="CurrentPassword"/> is needed once the user has a password.</summary>
public sealed record SetPasswordRequest
{
    public string? CurrentPassword { get; init; }
    public required string Password { get; init; }
}

/// <summary>A new TOTP secret (base32) and its otpauth URI for an authenticator app; it takes effect once confirmed.</summary>
public sealed record TotpEnrolmentResponse(string Secret, string Uri);

public sealed record TotpConfirmRequest
{
    public required string Code { get; init; }
}

/// <summary>
/// One audit entry. <see cref="Outcome"/> is <c>ok</c> (2xx/3xx), <c>refused</c> (401, 403, 429) or <c>failed</c> (any
/// other status); <see cref="Status"/> is the HTTP status itself.
/// </summary>
public sealed record AuditEntryResponse(long Id, DateTimeOffset At, string? User, string? Role, string? SourceIp, string Action, string? Target,
    int Status, string Outcome);

public sealed record AuditListResponse(IReadOnlyList<AuditEntryResponse> Entries, string? NextCursor);
