using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Outpost.Ui.Tests;

// Capabilities in the UI (docs/capabilities.md): the Scanners page lists what each scanner advertised, and a
// fingerprint scan's results show the services with their certificate and the screenshot.
public sealed partial class UiTests
{
    // A 1×1 PNG, uploaded as a screenshot.
    private static readonly byte[] OnePixelPng = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");

    [Fact]
    public async Task TheScannersPageShowsEachScannersCapabilitiesAndAScansResultsShowItsServices()
    {
        var scanner = await _f.Api.CreateScannerAsync("ui-caps-01");
        await _f.Api.SendAsync(HttpMethod.Post, "/scanner/heartbeat", new JsonObject
        {
            ["version"] = "1.4.0",
            ["runningJobs"] = new JsonArray(),
            ["capabilities"] = new JsonArray("portscan", "fingerprint", "screenshot"),
            ["capabilityVersions"] = new JsonObject { ["portscan"] = "1.4.0", ["fingerprint"] = "1.4.0", ["screenshot"] = "1.4.0" },
        }, HttpStatusCode.OK, scanner.ApiKey);

        var (page, errors) = await OpenAsync("#/scanners");
        var row = page.Locator("[data-testid=scanner-row][data-name='ui-caps-01']");
        await Expect(row.GetByTestId("capability")).ToHaveTextAsync(["portscan 1.4.0", "fingerprint 1.4.0", "screenshot 1.4.0"]);
        // A scanner that never reported its capabilities runs port scans only, and the page says it assumed so.
        var legacy = page.Locator("[data-testid=scanner-row][data-name='edge-berlin-01']");
        await Expect(legacy.GetByTestId("capability")).ToHaveTextAsync(["portscan"]);
        await Expect(legacy.GetByTestId("scanner-capabilities")).ToContainTextAsync("(assumed)");
        await ShotAsync(page, "scanners-capabilities");

        // A fingerprint scan, its job run by hand as a scanner would: one service and its screenshot.
        var scan = await _f.Api.SendAsync(HttpMethod.Post, "/api/scans", new JsonObject
        {
            ["name"] = "ui fingerprint", ["capability"] = "fingerprint", ["targets"] = new JsonArray("10.77.9.1"), ["ports"] = "443",
            ["scannerIds"] = new JsonArray(scanner.Id.DeepClone()),
        }, HttpStatusCode.Created);
        var jobId = Assert.Single(await _f.Api.ClaimAllAsync(scanner));
        await _f.Api.StartAsync(scanner, jobId);
        await _f.Api.SendAsync(HttpMethod.Post, $"/scanner/jobs/{jobId}/results", JsonNode.Parse("""
            {"services":[{"ip":"10.77.9.1","port":443,"proto":"tcp","service":"https","product":"nginx","version":"1.22.1",
              "tls":{"version":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384","subject":"CN=ui-lab","issuer":"CN=ui-lab","sans":["ui-lab"],
                     "notBefore":"2026-01-01T00:00:00Z","notAfter":"2027-01-01T00:00:00Z","selfSigned":true,"keyType":"RSA","keyBits":2048,
                     "sha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
              "http":{"status":200,"title":"Welcome to nginx!","server":"nginx/1.22.1"}}]}
            """), HttpStatusCode.OK, scanner.ApiKey);
        using (var http = new HttpClient { BaseAddress = new Uri(_f.BaseUrl) })
        using (var put = new HttpRequestMessage(HttpMethod.Put, $"/scanner/jobs/{jobId}/screenshots?ip=10.77.9.1&port=443&url=https%3A%2F%2F10.77.9.1%2F"))
        {
            put.Headers.Add("X-API-Key", scanner.ApiKey);
            put.Content = new ByteArrayContent(OnePixelPng);
            put.Content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            using var reply = await http.SendAsync(put);
            Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        }

        await page.GotoAsync($"/#/scans?tab=active&id={scan["id"]}");
        var card = page.GetByTestId("scan-card");
        await Expect(card.GetByTestId("scan-capability")).ToHaveTextAsync("fingerprint");
        var service = card.Locator("[data-testid=service-row][data-endpoint='10.77.9.1:443']");
        await Expect(service.GetByTestId("service-name")).ToHaveTextAsync("https");
        await Expect(service.GetByTestId("service-product")).ToHaveTextAsync("nginx 1.22.1");
        await Expect(service).ToContainTextAsync("CN=ui-lab");
        await Expect(service).ToContainTextAsync("Welcome to nginx!");
        var shot = service.GetByTestId("screenshot");
        await Expect(shot).ToBeVisibleAsync();
        Assert.True(await shot.EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 1"), "the screenshot PNG did not load in the page");
        await NoScriptErrors(page, errors);
    }
}
