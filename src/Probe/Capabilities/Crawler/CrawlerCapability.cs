using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;

namespace Outpost.Probe.Capabilities.Crawler;

/// <summary>
/// <c>crawler</c>: a bounded, same-origin, breadth-first crawl of each web service of the job (docs/capabilities.md).
/// It records every URL it fetched with its status, title, content type and forms (action, method, input names);
/// it follows links and same-origin redirects only, never submits a form, and stops at the depth, page and time
/// bounds of <see cref="CrawlerOptions"/>. Every request waits for the job's rate and a per-host connection slot
/// (<see cref="ConnectionPacer"/>) and carries the attribution header and user agent. Certificates are read, not
/// trusted: a scanner visits what it finds.
/// </summary>
public sealed class CrawlerCapability(string? attribution, TimeProvider time, CrawlerOptions? options = null) : ICapability
{
    public const string JobName = "crawler";

    private readonly CrawlerOptions _options = options ?? new CrawlerOptions();

    public string Name => JobName;

    public string Version => ScanAttribution.ProbeVersion;

    public string? Unavailable => null;

    public async Task<CapabilityOutcome> RunAsync(JobAssignment job, IJobReport report, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(report);
        if (JobEndpoints.Expand(job, out var failure) is not { } endpoints)
        {
            return CapabilityOutcome.Failed(failure!);
        }

        using var pacer = new ConnectionPacer(job.MaxProbesPerSecond, job.MaxConnectionsPerHost, time);
        using var http = CreateClient(job.MaxConnectionsPerHost, job.Attribution ?? attribution);
        var done = 0L;
        try
        {
            await Parallel.ForEachAsync(endpoints, new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = stopping },
                async (endpoint, ct) =>
                {
                    await CrawlServiceAsync(http, pacer, endpoint, report, ct).ConfigureAwait(false);
                    report.Progress(Interlocked.Increment(ref done));
                }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return new CapabilityOutcome(false, null, endpoints.Count);
        }

        return new CapabilityOutcome(true, null, endpoints.Count);
    }

    private HttpClient CreateClient(int connectionsPerHost, string? announce)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = _options.RequestTimeout,
            MaxConnectionsPerServer = connectionsPerHost,
            AutomaticDecompression = DecompressionMethods.All,
        };
        // The crawler inspects services, it does not trust them: any certificate is accepted.
#pragma warning disable CA5359
        handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        var http = new HttpClient(handler) { Timeout = _options.RequestTimeout };
        ScanAttribution.Apply(http.DefaultRequestHeaders, announce);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        return http;
    }

    /// <summary>Crawls one service: the first start URL that answers HTTP decides the origin.</summary>
    private async Task CrawlServiceAsync(HttpClient http, ConnectionPacer pacer, IPEndPoint endpoint, IJobReport report, CancellationToken stop)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(stop);
        budget.CancelAfter(_options.MaxTime);
        var host = endpoint.Address.ToString();
        var reasons = new List<string>();
        foreach (var start in WebTargets.StartUrls(endpoint))
        {
            Fetched first;
            try
            {
                first = await FetchAsync(http, pacer, host, start, budget.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !stop.IsCancellationRequested))
            {
                reasons.Add(start.Scheme + ": " + ex.Message);
                continue;
            }

            await CrawlFromAsync(http, pacer, endpoint, start, first, report, budget.Token, stop).ConfigureAwait(false);
            return;
        }

        report.Warning($"crawler: {endpoint} does not answer HTTP or HTTPS ({string.Join("; ", reasons)})");
    }

    private async Task CrawlFromAsync(HttpClient http, ConnectionPacer pacer, IPEndPoint endpoint, Uri start, Fetched first, IJobReport report,
        CancellationToken budget, CancellationToken stop)
    {
        var host = endpoint.Address.ToString();
        var seen = new HashSet<string>(StringComparer.Ordinal) { start.AbsoluteUri };
        var queue = new Queue<(Uri Url, int Depth)>();
        var pages = 0;
        Fetched? prefetched = first;
        queue.Enqueue((start, 0));
        while (queue.Count > 0 && pages < _options.MaxPages && !budget.IsCancellationRequested)
        {
            var (url, depth) = queue.Dequeue();
            Fetched page;
            try
            {
                page = prefetched ?? await FetchAsync(http, pacer, host, url, budget).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !stop.IsCancellationRequested))
            {
                if (budget.IsCancellationRequested)
                {
                    break;
                }

                page = new Fetched(0, null, null, null, ex.Message);
            }

            prefetched = null;
            pages++;
            var html = page.Html is { } body ? HtmlPage.Parse(body, url) : null;
            report.Add(new CrawledPage
            {
                Ip = host,
                Port = endpoint.Port,
                Url = url.AbsoluteUri,
                Depth = depth,
                Status = page.Status,
                Title = html?.Title,
                ContentType = page.ContentType,
                Forms = html?.Forms ?? [],
                Error = page.Error,
            });
            if (depth >= _options.MaxDepth)
            {
                continue;
            }

            var next = html?.Links ?? [];
            if (page.Location is { } location && HtmlPage.Resolve(url, location) is { } target)
            {
                next = [target, .. next];
            }

            foreach (var link in next)
            {
                if (SameOrigin(start, link) && seen.Add(link.AbsoluteUri))
                {
                    queue.Enqueue((link, depth + 1));
                }
            }
        }
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && a.Port == b.Port && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase);

    /// <summary>One GET at the job's pace: the status, the redirect target, and the body when it is HTML.</summary>
    private async Task<Fetched> FetchAsync(HttpClient http, ConnectionPacer pacer, string host, Uri url, CancellationToken ct)
    {
        using var lease = await pacer.AcquireAsync(host, ct).ConfigureAwait(false);
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        var contentType = response.Content.Headers.ContentType?.MediaType;
        var location = response.Headers.Location?.OriginalString;
        string? html = null;
        if (contentType is "text/html" or "application/xhtml+xml")
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[_options.MaxBodyBytes];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false)) > 0)
            {
                read += n;
            }

            var charset = response.Content.Headers.ContentType?.CharSet;
            var encoding = Encoding.UTF8;
            if (charset is not null)
            {
                try
                {
                    encoding = Encoding.GetEncoding(charset.Trim('"'));
                }
                catch (ArgumentException)
                {
                    // An unknown charset label: UTF-8 reads the ASCII that links and titles are mostly made of.
                }
            }

            html = encoding.GetString(buffer, 0, read);
        }

        return new Fetched((int)response.StatusCode, contentType, location, html, null);
    }

    private sealed record Fetched(int Status, string? ContentType, string? Location, string? Html, string? Error);
}
