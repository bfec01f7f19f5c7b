using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Outpost.Appliance.Hosting;

/// <summary>Kestrel as the appliance runs it: the 1 MiB body limit of docs/protocol.md, and HTTPS with the appliance's certificate.</summary>
public sealed class KestrelSetup(IOptions<OutpostOptions> options, ServingCertificate serving, ILogger<KestrelSetup> logger)
    : IConfigureOptions<KestrelServerOptions>
{
    /// <summary>Bodies over this are refused with 413 PAYLOAD_TOO_LARGE.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public void Configure(KestrelServerOptions kestrel)
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
        if (options.Value.UrlList.Any(u => u.StartsWith("https:", StringComparison.OrdinalIgnoreCase)))
        {
            var certificate = TlsCertificate.LoadOrCreate(options.Value, logger);
            serving.Fingerprint = TlsCertificate.Fingerprint(certificate);
            kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
        }
    }
}

/// <summary>The certificate the appliance serves HTTPS with, as admins pin it; no fingerprint on plain HTTP.</summary>
public sealed class ServingCertificate
{
    public string? Fingerprint { get; set; }
}
