namespace Outpost.Appliance.Http;

/// <summary>The authentication schemes and authorization policies, one per HTTP surface that needs one.</summary>
public static class AuthPolicies
{
    /// <summary>Scanner nodes: <c>X-API-Key</c>, and the key's scanner must be enabled.</summary>
    public const string Scanner = "scanner";

    /// <summary>Admins: <c>Authorization: Bearer &lt;admin token&gt;</c> or the web UI's session cookie.</summary>
    public const string Admin = "admin";

    public const string ScannerScheme = "ScannerKey";
    public const string AdminScheme = "Admin";

    /// <summary>Claim present on a scanner principal whose scanner is enabled.</summary>
    public const string EnabledClaim = "outpost:enabled";
}
