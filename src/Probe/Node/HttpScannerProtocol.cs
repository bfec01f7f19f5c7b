using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Capabilities.Vulnscan;
using Outpost.Probe.Engine;
using Outpost.Probe.Jobs;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Node;

/// <summary>
/// The scanner job protocol over HTTP(S), as a remote node speaks it. Every call carries <c>X-API-Key</c>, the node's
/// user agent and, when configured, the attribution value (as <see cref="AttributionHeader"/> and in the user agent),
/// so the appliance's logs and anything in between can tell whose scanner is talking.
///
/// TLS: an appliance usually has a self-signed certificate nobody issued, so a node pins it by its SHA-256
/// fingerprint (as the appliance logs it and shows at <c>/api/appliance</c>): with a pin, exactly that certificate is
/// accepted, whatever its chain; without one, the system's normal validation applies.
///
/// Failure classes (see <see cref="IScannerProtocol"/>): no connection, timeouts, 5xx and 429 are transient; 401 and
/// the scanner-level 403s (disabled, IP binding) are transient too — an admin can fix them while the node waits —
/// but flagged so the node says so plainly; 404, 409 and JOB_NOT_OWNED on a job mean the job is gone; a 400 or 413
/// is a bug on our side and is not repeated.
/// </summary>
public sealed class HttpScannerProtocol : IScannerProtocol, IDisposable
{
    /// <summary>The HTTP header that carries the attribution value.</summary>
    public const string AttributionHeader = "X-Scan-Attribution";

    private readonly HttpClient _http;
    private readonly string _version;

    public HttpScannerProtocol(Uri appliance, string apiKey, string? tlsFingerprint = null, string? attribution = null, IPAddress? sourceAddress = null,
        TimeSpan? requestTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        _version = typeof(HttpScannerProtocol).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // A restarted appliance may come back on another address behind the same name.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            UseCookies = false,
        };
        if (tlsFingerprint is not null)
        {
            var pinned = ParseFingerprint(tlsFingerprint);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && CryptographicOperations.FixedTimeEquals(pinned, Sha256(certificate));
        }

        if (sourceAddress is not null)
        {
            // The appliance records the address a scanner calls from (its source IP, and the IP binding check).
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(sourceAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(sourceAddress, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        _http = new HttpClient(handler) { BaseAddress = appliance, Timeout = requestTimeout ?? TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        var agent = "outpost-probe/" + _version;
        if (!string.IsNullOrWhiteSpace(attribution))
        {
            agent += " (" + attribution.Trim() + ")";
            _http.DefaultRequestHeaders.TryAddWithoutValidation(AttributionHeader, attribution.Trim());
        }

        _http.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", agent);
    }

    /// <summary>Parses a SHA-256 fingerprint written as hex, with or without colons or spaces (either case).</summary>
    public static byte[] ParseFingerprint(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hex = text.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (hex.StartsWith("sha256/", StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[7..];
        }

        try
        {
            var bytes = Convert.FromHexString(hex);
            return bytes.Length == 32 ? bytes : throw new FormatException("a SHA-256 fingerprint has 32 bytes (64 hex digits)");
        }
        catch (FormatException ex)
        {
            throw new FormatException($"'{text}' is not a SHA-256 fingerprint: {ex.Message}", ex);
        }
    }

    public async ValueTask<IReadOnlyList<JobAssignment>> ClaimAsync(int limit, CancellationToken ct)
    {
        var path = "scanner/jobs?limit=" + limit.ToString(CultureInfo.InvariantCulture);
        var reply = await SendAsync(HttpMethod.Get, path, null, NodeJsonContext.Default.WireClaimReply, jobCall: false, ct).ConfigureAwait(false);
        var jobs = new List<JobAssignment>(reply.Body?.Jobs?.Count ?? 0);
        foreach (var job in reply.Body?.Jobs ?? [])
        {
            var targets = job.Targets?.Select(t => new JobTargetSpec(t.Cidr, t.Ports)).ToList() ?? [];
            jobs.Add(new JobAssignment(job.JobId, job.ScanId, job.Name ?? "portscan", targets, job.MaxProbesPerSecond)
            {
                Seed = job.Seed,
                ResumeFrom = job.ResumeFrom,
                Exclude = job.Exclude ?? [],
                MaxConnectionsPerHost = job.MaxConnectionsPerHost is > 0 and var perHost ? perHost : ConnectionPacer.DefaultConnectionsPerHost,
            });
        }

        return jobs;
    }

    public async ValueTask<IReadOnlyList<long>> HeartbeatAsync(IReadOnlyList<long> runningJobs, IReadOnlyList<ICapability> capabilities, CancellationToken ct)
    {
        var names = new string[capabilities.Count];
        var versions = new Dictionary<string, string>(capabilities.Count, StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = capabilities[i].Name;
            versions[names[i]] = capabilities[i].Version;
        }

        var body = JsonContent.Create(new WireHeartbeat(_version, runningJobs, names, versions), NodeJsonContext.Default.WireHeartbeat);
        var reply = await SendAsync(HttpMethod.Post, "scanner/heartbeat", body, NodeJsonContext.Default.WireHeartbeatReply, jobCall: false, ct).ConfigureAwait(false);
        return reply.Body?.StopJobs ?? [];
    }

    public ValueTask<JobReply> StartAsync(long jobId, CancellationToken ct) => JobCallAsync(jobId, "start", null, ct);

    public async ValueTask<ProgressReply> ProgressAsync(long jobId, long progressCount, long resultCount, long cursor, CancellationToken ct)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"scanner/jobs/{jobId}/progress");
        var body = JsonContent.Create(new WireProgress(progressCount, resultCount, cursor), NodeJsonContext.Default.WireProgress);
        var reply = await SendAsync(HttpMethod.Post, path, body, NodeJsonContext.Default.WireOkReply, jobCall: true, ct).ConfigureAwait(false);
        return new ProgressReply(ToJobReply(reply), reply.Body?.Exclude);
    }

    public ValueTask<JobReply> UploadAsync(long jobId, IReadOnlyList<ScanResult> results, CancellationToken ct)
    {
        var items = new WireResult[results.Count];
        for (var i = 0; i < items.Length; i++)
        {
            var r = results[i];
            items[i] = new WireResult(Ipv4Range.FormatAddress(r.Address.Value), r.Port.Value, "tcp", r.StateText, r.Ttl);
        }

        return JobCallAsync(jobId, "results", JsonContent.Create(new WireResults(items), NodeJsonContext.Default.WireResults), ct);
    }

    /// <summary>
    /// Pages and services go to <c>POST /scanner/jobs/{id}/results</c> in their own field; each screenshot is a
    /// binary <c>PUT /scanner/jobs/{id}/screenshots</c> (docs/capabilities.md).
    /// </summary>
    public async ValueTask<JobReply> UploadAsync(long jobId, IReadOnlyList<CapabilityResult> results, CancellationToken ct)
    {
        if (results.Count == 0)
        {
            return JobReply.Ok;
        }

        switch (results[0])
        {
            case CrawledPage:
                var pages = new CrawledPage[results.Count];
                for (var i = 0; i < pages.Length; i++)
                {
                    pages[i] = (CrawledPage)results[i];
                }

                return await JobCallAsync(jobId, "results", JsonContent.Create(new WirePages(pages), NodeJsonContext.Default.WirePages), ct).ConfigureAwait(false);
            case ServiceFound:
                var services = new ServiceFingerprint[results.Count];
                for (var i = 0; i < services.Length; i++)
                {
                    services[i] = ((ServiceFound)results[i]).Fingerprint;
                }

                return await JobCallAsync(jobId, "results", JsonContent.Create(new WireServices(services), NodeJsonContext.Default.WireServices), ct)
                    .ConfigureAwait(false);
            case ServiceVulnerabilities:
                var checkedServices = new ServiceVulnerabilities[results.Count];
                for (var i = 0; i < checkedServices.Length; i++)
                {
                    checkedServices[i] = (ServiceVulnerabilities)results[i];
                }

                return await JobCallAsync(jobId, "results", JsonContent.Create(new WireVulnerabilities(checkedServices), NodeJsonContext.Default.WireVulnerabilities), ct)
                    .ConfigureAwait(false);
            case ServiceScreenshot:
                var reply = JobReply.Ok;
                foreach (var result in results)
                {
                    var shot = (ServiceScreenshot)result;
                    var query = string.Create(CultureInfo.InvariantCulture,
                        $"screenshots?ip={Uri.EscapeDataString(shot.Ip)}&port={shot.Port}&url={Uri.EscapeDataString(shot.Url)}");
                    using var png = new ByteArrayContent(shot.Png);
                    png.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
                    reply = await JobCallAsync(jobId, query, png, ct, HttpMethod.Put).ConfigureAwait(false);
                    if (reply == JobReply.Gone)
                    {
                        return reply;
                    }
                }

                return reply;
            default:
                throw new ScannerProtocolException($"no upload for {results[0].GetType().Name} results", transient: false);
        }
    }

    public ValueTask<JobReply> CompleteAsync(long jobId, bool failed, long resultCount, string? errorMessage, CancellationToken ct) =>
        JobCallAsync(jobId, "complete", JsonContent.Create(new WireComplete(failed ? "failed" : "completed", resultCount, errorMessage),
            NodeJsonContext.Default.WireComplete), ct);

    public void Dispose() => _http.Dispose();

    private async ValueTask<JobReply> JobCallAsync(long jobId, string action, HttpContent? body, CancellationToken ct, HttpMethod? method = null)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"scanner/jobs/{jobId}/{action}");
        var reply = await SendAsync(method ?? HttpMethod.Post, path, body ?? new ByteArrayContent([]), NodeJsonContext.Default.WireOkReply, jobCall: true, ct)
            .ConfigureAwait(false);
        return ToJobReply(reply);
    }

    private static JobReply ToJobReply((WireOkReply? Body, bool Gone) reply) =>
        reply.Gone ? JobReply.Gone : reply.Body?.Stop == true ? JobReply.Stop : JobReply.Ok;

    private async Task<(T? Body, bool Gone)> SendAsync<T>(HttpMethod method, string path, HttpContent? body, JsonTypeInfo<T> reply, bool jobCall,
        CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.InnerException is AuthenticationException)
        {
            throw new ScannerProtocolException(
                $"TLS handshake with {_http.BaseAddress} failed: the certificate is not the pinned one (check --tls-fingerprint) or not trusted ({ex.InnerException.Message})",
                transient: true, credentialsRefused: true, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ScannerProtocolException($"the appliance at {_http.BaseAddress} is unreachable: {ex.Message}", transient: true, inner: ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new ScannerProtocolException($"the appliance at {_http.BaseAddress} did not answer in {_http.Timeout.TotalSeconds:0} s", transient: true, inner: ex);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                try
                {
                    return (await response.Content.ReadFromJsonAsync(reply, ct).ConfigureAwait(false), false);
                }
                catch (JsonException ex)
                {
                    throw new ScannerProtocolException($"the appliance answered {path} with malformed JSON: {ex.Message}", transient: true, inner: ex);
                }
                catch (HttpRequestException ex)
                {
                    throw new ScannerProtocolException($"the appliance's answer to {path} was cut off: {ex.Message}", transient: true, inner: ex);
                }
            }

            var error = await ReadErrorAsync(response, ct).ConfigureAwait(false);
            var what = $"{method} /{path}: {status} {error.Code ?? response.ReasonPhrase}{(error.Message is null ? "" : ": " + error.Message)}";
            if (jobCall && (status is 404 or 409 || (status == 403 && error.Code == "JOB_NOT_OWNED")))
            {
                return (default, true);
            }

            if (status is 401 or 403)
            {
                throw new ScannerProtocolException($"the appliance refused this scanner ({what}); check the API key and the scanner's settings", transient: true,
                    credentialsRefused: true);
            }

            if (status is 408 or 429 or >= 500 || (!jobCall && status == 404))
            {
                throw new ScannerProtocolException($"the appliance could not serve {what}", transient: true);
            }

            throw new ScannerProtocolException($"the appliance rejected {what}", transient: false);
        }
    }

    private static async Task<WireError> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var body = await response.Content.ReadFromJsonAsync(NodeJsonContext.Default.WireErrorReply, ct).ConfigureAwait(false);
            return body?.Error ?? new WireError(null, null);
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or NotSupportedException)
        {
            // Not the appliance's error shape (a proxy's page, an empty body): the status says enough.
            return new WireError(null, null);
        }
    }

    private static byte[] Sha256(X509Certificate certificate) => SHA256.HashData(certificate.GetRawCertData());
}
