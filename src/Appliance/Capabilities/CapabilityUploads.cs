using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Outpost.Appliance.Vulnerabilities;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Capabilities.Vulnscan;
using Outpost.Store;
using Outpost.Store.Model;
using Outpost.Store.Records.Capabilities;
using Outpost.Store.Records.Vulnerabilities;

namespace Outpost.Appliance.Capabilities;

/// <summary>
/// Typed results as the appliance takes them (docs/capabilities.md), for the HTTP protocol and the built-in scanner
/// alike: the job must be the caller's and claimed or running (the same rule, and the same statuses, as the port
/// scan's findings); each item is checked (a bad one refuses the whole upload with the index that is wrong); then
/// the batch is written to the records database in one durable transaction.
/// </summary>
public sealed partial class CapabilityUploads(IOutpostStore store, CapabilityResults results, VulnerabilityLedger ledger, TimeProvider clock)
{
    /// <summary>The largest screenshot kept: the daemon's request body limit (a bigger upload is refused with 413).</summary>
    public const int MaxScreenshotBytes = (int)Hosting.KestrelSetup.MaxRequestBodyBytes;

    private const int MaxText = 2048;
    private const int MaxEvidence = 8192;
    private const int MaxChecks = 1024;
    private const int MaxReferences = 32;
    private static readonly byte[] PngSignature = [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Stores identified services. Returns the job's status, or an error for a 400.</summary>
    public async Task<(StoreStatus Status, string? Error)> PutServicesAsync(long scannerId, long jobId, IReadOnlyList<ServiceFingerprint?> services,
        CancellationToken ct = default)
    {
        var records = new ServiceRecord[services.Count];
        for (var i = 0; i < records.Length; i++)
        {
            var s = services[i];
            if (s is null)
            {
                return (StoreStatus.Ok, $"services[{i}] is null.");
            }

            if (Endpoint(s.Ip, s.Port) is { } problem)
            {
                return (StoreStatus.Ok, $"services[{i}].{problem}");
            }

            if (s.Service.Length is 0 or > 64 || s.Product?.Length > MaxText || s.Version?.Length > MaxText || s.Banner?.Length > MaxText)
            {
                return (StoreStatus.Ok, $"services[{i}]: service must be 1 to 64 characters, product, version and banner at most {MaxText}.");
            }

            records[i] = new ServiceRecord(s.Ip, s.Port, s.Service, s.Product, s.Version, FingerprintJson.Serialize(Complete(s)));
        }

        if (Active(scannerId, jobId) is not { } job)
        {
            return (Refusal(scannerId, jobId), null);
        }

        await results.PutServicesAsync(job.ScanId, jobId, records, clock.GetUtcNow(), ct);
        return (StoreStatus.Ok, null);
    }

    /// <summary>Stores crawled pages. Returns the job's status, or an error for a 400.</summary>
    public async Task<(StoreStatus Status, string? Error)> PutPagesAsync(long scannerId, long jobId, IReadOnlyList<CrawledPage?> pages, CancellationToken ct = default)
    {
        var records = new PageRecord[pages.Count];
        for (var i = 0; i < records.Length; i++)
        {
            var p = pages[i];
            if (p is null)
            {
                return (StoreStatus.Ok, $"pages[{i}] is null.");
            }

            if (Endpoint(p.Ip, p.Port) is { } problem)
            {
                return (StoreStatus.Ok, $"pages[{i}].{problem}");
            }

            if (!Uri.TryCreate(p.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || p.Url.Length > MaxText)
            {
                return (StoreStatus.Ok, $"pages[{i}].url must be an absolute http(s) URL of at most {MaxText} characters.");
            }

            if (p.Status is < 0 or > 999 || p.Depth < 0 || p.Title?.Length > MaxText || p.Error?.Length > MaxText || p.Forms.Count > 100)
            {
                return (StoreStatus.Ok, $"pages[{i}]: status 0 to 999, depth not negative, title and error at most {MaxText} characters, at most 100 forms.");
            }

            records[i] = new PageRecord(p.Url, p.Ip, p.Port, p.Depth, p.Status, p.Title, p.ContentType, SerializeForms(p.Forms), p.Error);
        }

        if (Active(scannerId, jobId) is not { } job)
        {
            return (Refusal(scannerId, jobId), null);
        }

        await results.PutPagesAsync(job.ScanId, jobId, records, clock.GetUtcNow(), ct);
        return (StoreStatus.Ok, null);
    }

    /// <summary>
    /// Hands the vulnscan capability's checks to the vulnerability ledger (docs/vulnscan.md): per service, the checks
    /// that ran there and the ones that fired; what ran and did not fire may become fixed. Returns the job's status,
    /// or an error for a 400.
    /// </summary>
    public async Task<(StoreStatus Status, string? Error)> PutVulnerabilitiesAsync(long scannerId, long jobId, IReadOnlyList<ServiceVulnerabilities?> services,
        CancellationToken ct = default)
    {
        var checkedServices = new CheckedService[services.Count];
        var found = new List<VulnerabilityObservation>();
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i] is not { } s)
            {
                return (StoreStatus.Ok, $"vulnerabilities[{i}] is null.");
            }

            if (Endpoint(s.Ip, s.Port) is { } problem)
            {
                return (StoreStatus.Ok, $"vulnerabilities[{i}].{problem}");
            }

            if (s.CheckIds is null || s.CheckIds.Count > MaxChecks || s.CheckIds.Any(id => id is null || !CheckId().IsMatch(id)))
            {
                return (StoreStatus.Ok, $"vulnerabilities[{i}].checkIds must list at most {MaxChecks} check ids (2 to 64 characters of a-z, 0-9 and '-').");
            }

            for (var j = 0; j < (s.Found?.Count ?? 0); j++)
            {
                var f = s.Found![j];
                if (f is null || !s.CheckIds.Contains(f.CheckId) || VulnerabilitySeverity.Rank(f.Severity) < 0 || f.Title is not { Length: > 0 and <= MaxText }
                    || f.Evidence is null || f.Evidence.Length > MaxEvidence || f.Remediation?.Length > MaxEvidence
                    || f.References is null || f.References.Count > MaxReferences || f.References.Any(r => r is null || r.Length > MaxText))
                {
                    return (StoreStatus.Ok, $"vulnerabilities[{i}].found[{j}]: a check listed in checkIds, a severity of {string.Join(", ", VulnerabilitySeverity.All)}, "
                        + $"a title of 1 to {MaxText} characters, evidence and remediation of at most {MaxEvidence}, at most {MaxReferences} references.");
                }

                found.Add(new VulnerabilityObservation(f.CheckId, f.Title, f.Severity, s.Ip, s.Port, f.Evidence, f.Remediation, f.References));
            }

            checkedServices[i] = new CheckedService(s.Ip, s.Port, s.CheckIds);
        }

        if (Active(scannerId, jobId) is not { } job)
        {
            return (Refusal(scannerId, jobId), null);
        }

        await ledger.RecordRunAsync(job.ScanId, checkedServices, found, ct);
        return (StoreStatus.Ok, null);
    }

    /// <summary>Stores one screenshot (a PNG of at most <see cref="MaxScreenshotBytes"/>). Returns the job's status, or an error for a 400.</summary>
    public async Task<(StoreStatus Status, string? Error)> PutScreenshotAsync(long scannerId, long jobId, string? ip, int port, string? url, byte[] png,
        CancellationToken ct = default)
    {
        if (Endpoint(ip, port) is { } problem)
        {
            return (StoreStatus.Ok, problem);
        }

        if (url is null || url.Length > MaxText || !Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
        {
            return (StoreStatus.Ok, $"url must be the absolute http(s) URL that was rendered, at most {MaxText} characters.");
        }

        if (png.Length is 0 or > MaxScreenshotBytes || !png.AsSpan().StartsWith(PngSignature))
        {
            return (StoreStatus.Ok, $"the body must be a PNG image of at most {MaxScreenshotBytes} bytes.");
        }

        if (Active(scannerId, jobId) is not { } job)
        {
            return (Refusal(scannerId, jobId), null);
        }

        await results.PutScreenshotAsync(job.ScanId, jobId, ip!, port, url, png, clock.GetUtcNow(), ct);
        return (StoreStatus.Ok, null);
    }

    /// <summary>
    /// The service with its lists present: the JSON readers leave a list the sender omitted (an empty <c>cpe</c> is
    /// omitted by design) null rather than empty, and the wire writers refuse a null where the type says none.
    /// </summary>
    public static ServiceFingerprint Complete(ServiceFingerprint service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var tls = service.Tls is { Sans: null } facts ? facts with { Sans = [] } : service.Tls;
        return service.Cpe is null || !ReferenceEquals(tls, service.Tls) ? service with { Cpe = service.Cpe ?? [], Tls = tls } : service;
    }

    /// <summary>The forms of a page as stored (and shown): [{"action","method","inputs":[…]}].</summary>
    public static string SerializeForms(IReadOnlyList<PageForm> forms) =>
        JsonSerializer.Serialize([.. forms], Contracts.OutpostJsonContext.Default.ListPageForm);

    public static IReadOnlyList<PageForm> DeserializeForms(string json) =>
        JsonSerializer.Deserialize(json, Contracts.OutpostJsonContext.Default.ListPageForm) ?? [];

    private Job? Active(long scannerId, long jobId) =>
        store.GetJob(jobId) is { } job && job.ScannerId == scannerId && job.Status is JobStatus.Claimed or JobStatus.Running ? job : null;

    // The statuses the HTTP surface turns into 404, 403 JOB_NOT_OWNED and 409, as for the port scan's findings.
    private StoreStatus Refusal(long scannerId, long jobId) => store.GetJob(jobId) switch
    {
        null => StoreStatus.NotFound,
        { } job when job.ScannerId != scannerId => StoreStatus.NotOwned,
        _ => StoreStatus.InvalidTransition,
    };

    private static string? Endpoint(string? ip, int port)
    {
        if (ip is null || !IPAddress.TryParse(ip, out var address) || address.AddressFamily != AddressFamily.InterNetwork || ip.AsSpan().Count('.') != 3)
        {
            return $"ip '{ip}' is not an IPv4 address.";
        }

        return port is < 1 or > 65535 ? "port must be from 1 to 65535." : null;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial Regex CheckId();
}
