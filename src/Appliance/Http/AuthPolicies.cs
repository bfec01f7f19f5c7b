namespace Outpost.Appliance.Http;

/// <summary>
/// The authentication schemes and authorization policies. Every route group declares one of these; the roles include
/// the ones below them (docs/users-and-audit.md has the table of which route needs which role).
/// </summary>
public static class AuthPolicies
{
    /// <summary>Scanner nodes: <c>X-API-Key</c>, and the key's scanner must be enabled.</summary>
    public const string Scanner = "scanner";

    /// <summary>Any signed-in user: reads everything but users and the audit log.</summary>
    public const string Viewer = "viewer";

    /// <summary>Operators and admins: scans, jobs, pause and resume.</summary>
    public const string Operator = "operator";

    /// <summary>Admins only: users, scanners, settings, the audit log.</summary>
    public const string Admin = "admin";

    public const string ScannerScheme = "ScannerKey";

    /// <summary>Users: a session cookie, a personal API token or the admin token (<c>Authorization: Bearer</c>).</summary>
    public const string UserScheme = "User";

    /// <summary>Claim present on a scanner principal whose scanner is enabled.</summary>
    public const string EnabledClaim = "outpost:enabled";
}
