namespace Outpost.Appliance.Assets;

/// <summary>
/// The Assets page's scan actions and what each runs (docs/assets-page.md, "Scan actions"), in one place: the capability
/// the action's scan starts with, its default ports, and which capabilities its web services are followed up with.
/// The chain itself — portscan, then fingerprint, then the web capabilities — is in docs/assets-page.md, "Follow-up jobs".
/// </summary>
public static class AssetScanActions
{
    public const string Comprehensive = "comprehensive";
    public const string Portscan = "portscan";
    public const string Webscan = "webscan";
    public const string Webcrawl = "webcrawl";

    /// <summary>
    /// The ports a port scan from the Assets page visits when the request names none: the services admins most often
    /// run and most often forget (remote access, mail, name service, file sharing, databases, web on common ports).
    /// </summary>
    public const string CommonPorts = "21,22,23,25,53,80,110,111,135,139,143,389,443,445,465,587,636,993,995,1433,1521,1723,2049,3306,3389,5432,5900,5985,6379,8000,8080,8443,9200,27017";

    /// <summary>The ports a web scan or web crawl visits when the request names none.</summary>
    public const string WebPorts = "80,443,8000,8080,8443";

    public static IReadOnlyList<string> All { get; } = [Comprehensive, Portscan, Webscan, Webcrawl];

    /// <summary>
    /// The capabilities a web service (HTTP or HTTPS, as the fingerprint found it) is followed up with, by the action of
    /// its chain. <b>A new web capability (vulnscan) is added here</b>: to the web scan's list and the default list.
    /// </summary>
    public static IReadOnlyList<string> WebFollowUps(string? action) => action switch
    {
        Webscan => ["screenshot"],
        _ => ["screenshot", "crawler"],
    };

    /// <summary>Whether a chain runs the vulnerability checks on the services its fingerprint found: every chain but a crawl.</summary>
    public static bool ChecksVulnerabilities(string? action) => action != Webcrawl;

    /// <summary>The capability the action's own scan runs: a web scan fingerprints the web ports first, so its follow-ups know which are web services.</summary>
    public static string FirstCapability(string action) => action switch
    {
        Comprehensive or Portscan => "portscan",
        Webscan => "fingerprint",
        Webcrawl => "crawler",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "not a scan action"),
    };

    public static string DefaultPorts(string action) => action is Comprehensive or Portscan ? CommonPorts : WebPorts;

    /// <summary>The scan's name on the Scans and Jobs pages.</summary>
    public static string Title(string action) => action switch
    {
        Comprehensive => "Comprehensive Scan",
        Portscan => "Port Scan",
        Webscan => "Web Scan",
        _ => "Web Crawl",
    };
}
