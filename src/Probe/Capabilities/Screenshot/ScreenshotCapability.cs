using System.Net;
using Microsoft.Playwright;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;

namespace Outpost.Probe.Capabilities.Screenshot;

/// <summary>
/// <c>screenshot</c>: renders each web service of the job in headless Chromium and reports one PNG per service
/// (docs/capabilities.md): a fixed viewport, a page timeout, the attribution header and user agent on every request
/// the page makes, certificate errors ignored (the service is inspected, not trusted), and a size cap. Each service
/// gets a fresh browser context, so nothing one page leaves behind reaches the next. Page loads are paced by the job's
/// rate and the per-host connection limit. Advertised only where Chromium is installed.
/// </summary>
public sealed class ScreenshotCapability(string? chromiumPath, string? attribution, TimeProvider time, ScreenshotOptions? options = null) : ICapability
{
    public const string JobName = "screenshot";

    private readonly ScreenshotOptions _options = options ?? new ScreenshotOptions();
    private readonly string? _chromium = ChromiumBrowser.Find(chromiumPath);

    public string Name => JobName;

    public string Version => ScanAttribution.ProbeVersion;

    public string? Unavailable => _chromium is null
        ? "Chromium is not installed (" + (chromiumPath ?? string.Join(" or ", ChromiumBrowser.Paths)) + " is missing; install Debian's chromium package)"
        : null;

    public async Task<CapabilityOutcome> RunAsync(JobAssignment job, IJobReport report, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(report);
        if (JobEndpoints.Expand(job, out var failure) is not { } endpoints)
        {
            return CapabilityOutcome.Failed(failure!);
        }

        if (_chromium is null)
        {
            return CapabilityOutcome.Failed(Unavailable!);
        }

        IPlaywright playwright;
        IBrowser browser;
        try
        {
            playwright = await Playwright.CreateAsync().ConfigureAwait(false);
            browser = await ChromiumBrowser.LaunchAsync(playwright, _chromium).ConfigureAwait(false);
        }
        catch (PlaywrightException ex)
        {
            return CapabilityOutcome.Failed("chromium: " + ex.Message);
        }

        using var pacer = new ConnectionPacer(job.MaxProbesPerSecond, job.MaxConnectionsPerHost, time);
        var done = 0L;
        try
        {
            await Parallel.ForEachAsync(endpoints, new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = stopping },
                async (endpoint, ct) =>
                {
                    await ShootAsync(browser, pacer, endpoint, job.Attribution ?? attribution, report, ct).ConfigureAwait(false);
                    report.Progress(Interlocked.Increment(ref done));
                }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return new CapabilityOutcome(false, null, endpoints.Count);
        }
        finally
        {
            await browser.DisposeAsync().ConfigureAwait(false);
            playwright.Dispose();
        }

        return new CapabilityOutcome(true, null, endpoints.Count);
    }

    /// <summary>Renders one service: the first start URL that loads is the one shot.</summary>
    private async Task ShootAsync(IBrowser browser, ConnectionPacer pacer, IPEndPoint endpoint, string? announce, IJobReport report, CancellationToken ct)
    {
        var host = endpoint.Address.ToString();
        var reasons = new List<string>();
        foreach (var url in WebTargets.StartUrls(endpoint))
        {
            using var lease = await pacer.AcquireAsync(host, ct).ConfigureAwait(false);
            await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
            {
                ViewportSize = new ViewportSize { Width = _options.ViewportWidth, Height = _options.ViewportHeight },
                DeviceScaleFactor = 1,
                IgnoreHTTPSErrors = true,
                UserAgent = ScanAttribution.UserAgent(announce),
                ExtraHTTPHeaders = ScanAttribution.Headers(announce),
                JavaScriptEnabled = true,
            }).ConfigureAwait(false);
            var page = await context.NewPageAsync().ConfigureAwait(false);
            try
            {
                await page.GotoAsync(url.AbsoluteUri, new PageGotoOptions
                {
                    Timeout = (float)_options.PageTimeout.TotalMilliseconds,
                    WaitUntil = WaitUntilState.Load,
                }).WaitAsync(ct).ConfigureAwait(false);
            }
            catch (PlaywrightException ex)
            {
                reasons.Add(url.Scheme + ": " + FirstLine(ex.Message));
                continue;
            }

            var png = await page.ScreenshotAsync(new PageScreenshotOptions { Type = ScreenshotType.Png }).ConfigureAwait(false);
            if (png.Length > _options.MaxPngBytes)
            {
                png = await page.ScreenshotAsync(new PageScreenshotOptions
                {
                    Type = ScreenshotType.Png,
                    Clip = new Clip { X = 0, Y = 0, Width = _options.ViewportWidth / 2f, Height = _options.ViewportHeight / 2f },
                }).ConfigureAwait(false);
            }

            if (png.Length > _options.MaxPngBytes)
            {
                report.Warning($"screenshot: {url} renders larger than {_options.MaxPngBytes} bytes even at half size; not kept");
                return;
            }

            report.Add(new ServiceScreenshot { Ip = host, Port = endpoint.Port, Url = url.AbsoluteUri, Png = png });
            return;
        }

        report.Warning($"screenshot: {endpoint} does not load over HTTP or HTTPS ({string.Join("; ", reasons)})");
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
