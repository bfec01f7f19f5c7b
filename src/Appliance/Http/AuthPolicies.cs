namespace Outpost.Appliance.Http;

/// <summary>The authentication schemes and authorization policies, one per HTTP surface that needs one (scanner nodes are authenticated by ScannerKeyAuthentication instead).</summary>
public static class AuthPolicies
{
    /// <summary>Admins: <c>Authorization: Bearer &lt;admin token&gt;</c> or the web UI's session cookie.</summary>
    public const string Admin = "admin";

    public const string AdminScheme = "Admin";
}
