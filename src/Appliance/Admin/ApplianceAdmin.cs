using System.Reflection;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Hosting;

namespace Outpost.Appliance.Admin;

/// <summary>
/// <c>GET /api/appliance</c>: the daemon's version and the SHA-256 fingerprint of the certificate it serves (null on
/// plain HTTP), so an admin can pin the self-signed certificate the browser warned about.
/// </summary>
public static class ApplianceAdmin
{
    private static readonly string Version =
        typeof(ApplianceAdmin).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public static void MapApplianceAdmin(this RouteGroupBuilder api) =>
        api.MapGet("/appliance", (ServingCertificate certificate) => TypedResults.Ok(new ApplianceResponse(Version, certificate.Fingerprint)))
            .WithTags("Appliance");
}
