namespace Outpost.Appliance.Http;

/// <summary>
/// The authentication schemes and authorization policies. Every route group declares one of these; the roles include
/// the ones below them (docs/users-and-audit.md has the table of which route needs which role). Scanner nodes are
/// authenticated by ScannerKeyAuthentication instead, off the framework's handlers (docs/performance.md).
/// </summary>
public static class AuthPolicies
{
    /// <summary>Any signed-in user: reads everything but users and the audit log.</summary>
    public const string Viewer = "viewer";

    /// <summary>Operators and admins: scans, jobs, pause and resume.</summary>
    public const string Operator = "operator";

    /// <summary>Admins only: users, scanners, settings, the audit log.</summary>
    public const string Admin = "admin";

    /// <summary>Users: a session cookie, a personal API token or the admin token (<c>Authorization: Bearer</c>).</summary>
    public const string UserScheme = "User";

}
