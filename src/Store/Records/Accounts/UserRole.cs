namespace Outpost.Store.Records.Accounts;

/// <summary>
/// What a user may do, each role including the ones below it (docs/users-and-audit.md): a viewer reads, an operator
/// also runs scans and jobs, an admin also manages users, scanners and settings.
/// </summary>
public enum UserRole
{
    Viewer = 0,
    Operator = 1,
    Admin = 2,
}

public static class UserRoles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    public static string Name(this UserRole role) => role switch
    {
        UserRole.Admin => Admin,
        UserRole.Operator => Operator,
        _ => Viewer,
    };

    public static UserRole? Parse(string? text) => text switch
    {
        Admin => UserRole.Admin,
        Operator => UserRole.Operator,
        Viewer => UserRole.Viewer,
        _ => null,
    };
}

/// <summary>One user as stored. <see cref="PasswordHash"/> is null for directory users and for the built-in admin until it sets one.</summary>
public sealed record UserRecord(long Id, string Username, UserRole Role, string Source, string? PasswordHash, bool Disabled,
    string? TotpSecret, bool TotpEnabled, DateTimeOffset CreatedAt)
{
    /// <summary>Users created on the appliance.</summary>
    public const string LocalSource = "local";

    /// <summary>Users that sign in against the LDAP directory; their role follows their groups at each sign-in.</summary>
    public const string DirectorySource = "directory";

    /// <summary>The user the admin secret and the admin token act as.</summary>
    public const string BuiltInAdmin = "admin";
}

/// <summary>A personal API token as listed (its secret is never stored, only its hash).</summary>
public sealed record ApiTokenRecord(long Id, long UserId, string Name, DateTimeOffset CreatedAt);
