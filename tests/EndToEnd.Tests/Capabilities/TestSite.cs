using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Outpost.EndToEnd.Tests.Capabilities;

/// <summary>
/// A small web site on a loopback address, served by Kestrel, that records every request it gets (path, attribution
/// header, user agent): what the web capabilities visit in these tests.
/// </summary>
internal sealed class TestSite : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestSite(WebApplication app, IPEndPoint endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public IPEndPoint Endpoint { get; }

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    /// <summary>Serves <paramref name="pages"/> (path → handler) on 127.0.0.1 at a free port.</summary>
    public static async Task<TestSite> StartAsync(IReadOnlyDictionary<string, Func<HttpContext, Task>> pages)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        TestSite? site = null;
        app.Run(async context =>
        {
            site!.Requests.Enqueue(new SeenRequest(context.Request.Path + context.Request.QueryString, context.Request.Headers["X-Scan-Attribution"].ToString(),
                context.Request.Headers.UserAgent.ToString()));
            if (pages.TryGetValue(context.Request.Path.Value ?? "/", out var page))
            {
                await page(context);
                return;
            }

            context.Response.StatusCode = 404;
        });
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        site = new TestSite(app, new IPEndPoint(IPAddress.Loopback, address.Port));
        return site;
    }

    public static Func<HttpContext, Task> Html(string html) => context =>
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(html);
    };

    public static Func<HttpContext, Task> Redirect(string location) => context =>
    {
        context.Response.Redirect(location);
        return Task.CompletedTask;
    };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    internal sealed record SeenRequest(string Path, string Attribution, string UserAgent);
}
