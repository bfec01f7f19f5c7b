using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Outpost.Ui.Tests;

// The Assets page (docs/assets-page.md) in a real browser: a fingerprint scan of three addresses (10.77.60.1–3, run
// by hand as a scanner would) is processed into the inventory; the page searches it as you type, filters it, opens
// an asset's detail, and starts a scan action on the selected assets.
public sealed partial class UiTests
{
    [Fact]
    public async Task TheAssetsPageSearchesFiltersShowsDetailAndStartsAScanOnTheSelectedAssets()
    {
        var scanner = await _f.Api.CreateScannerAsync("ui-assets-01");
        await _f.Api.SendAsync(HttpMethod.Post, "/scanner/heartbeat", new JsonObject
        {
            ["version"] = "1.4.0", ["runningJobs"] = new JsonArray(),
            ["capabilities"] = new JsonArray("fingerprint"), ["capabilityVersions"] = new JsonObject { ["fingerprint"] = "1.4.0" },
        }, HttpStatusCode.OK, scanner.ApiKey);
        var scan = await _f.Api.SendAsync(HttpMethod.Post, "/api/scans", new JsonObject
        {
            ["name"] = "ui assets", ["capability"] = "fingerprint", ["targets"] = new JsonArray("10.77.60.1-10.77.60.3"), ["ports"] = "22,443",
            ["scannerIds"] = new JsonArray(scanner.Id.DeepClone()),
        }, HttpStatusCode.Created);
        var jobId = Assert.Single(await _f.Api.ClaimAllAsync(scanner));
        await _f.Api.StartAsync(scanner, jobId);
        await _f.Api.SendAsync(HttpMethod.Post, $"/scanner/jobs/{jobId}/results", JsonNode.Parse("""
            {"services":[
              {"ip":"10.77.60.1","port":443,"proto":"tcp","service":"https","product":"nginx","version":"1.22.1",
               "tls":{"version":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384","subject":"CN=ui-assets.test","issuer":"CN=ui-assets.test","sans":["ui-assets.test"],
                      "notBefore":"2026-01-01T00:00:00Z","notAfter":"2026-12-20T00:00:00Z","selfSigned":true,"keyType":"RSA","keyBits":2048,
                      "sha256":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
               "http":{"status":200,"title":"Assets lab","server":"nginx/1.22.1"}},
              {"ip":"10.77.60.2","port":22,"proto":"tcp","service":"ssh","product":"OpenSSH","version":"9.2p1"},
              {"ip":"10.77.60.3","port":22,"proto":"tcp","service":"ssh","product":"OpenSSH","version":"9.2p1"}]}
            """), HttpStatusCode.OK, scanner.ApiKey);
        await _f.Api.CompleteAsync(scanner, jobId, "completed", resultCount: 3);

        var (page, errors) = await OpenAsync("#/assets");
        await Expect(page.GetByTestId("nav-assets")).ToHaveAttributeAsync("aria-current", "page");
        var rows = page.GetByTestId("asset-row");
        var lab = rows.Filter(new LocatorFilterOptions { HasText = "10.77.60." });

        // Search as you type narrows, by address and by product; processing may still be under way, the assertions wait.
        await page.GetByTestId("assets-search").FillAsync("10.77.60.");
        await Expect(rows).ToHaveCountAsync(3, new() { Timeout = 30_000 });
        await page.GetByTestId("assets-search").FillAsync("ui-assets.test");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-ip", "10.77.60.1");
        await page.GetByTestId("assets-search").FillAsync("10.77.60.");
        await Expect(rows).ToHaveCountAsync(3);

        // Filters: a port, then a certificate that expires within the given days (the lab's does, in December 2026).
        await page.GetByTestId("filter-port").FillAsync("22");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(lab.Filter(new LocatorFilterOptions { HasText = "10.77.60.1" })).ToHaveCountAsync(0);
        await page.GetByTestId("filter-port").FillAsync("");
        await page.GetByTestId("filter-cert-expiring").FillAsync("3650");
        await Expect(rows).ToHaveCountAsync(1);
        await page.GetByTestId("filter-cert-expiring").FillAsync("");
        await Expect(rows).ToHaveCountAsync(3);

        // The detail: services, the certificate, history.
        await page.Locator("[data-testid=asset-row][data-ip='10.77.60.1']").GetByTestId("asset-open").ClickAsync();
        var detail = page.GetByTestId("asset-detail");
        await Expect(detail.GetByTestId("asset-service")).ToHaveCountAsync(1);
        await Expect(detail.GetByTestId("asset-service")).ToContainTextAsync("443/tcp");
        await Expect(detail.GetByTestId("asset-service")).ToContainTextAsync("nginx 1.22.1");
        await Expect(detail.GetByTestId("asset-service")).ToContainTextAsync("Assets lab");
        await Expect(detail.GetByTestId("asset-certificates")).ToContainTextAsync("CN=ui-assets.test");
        await Expect(detail.GetByTestId("asset-hostnames")).ToContainTextAsync("ui-assets.test");
        await Expect(detail.GetByTestId("asset-history")).ToContainTextAsync("scan " + scan["id"]);
        await ShotAsync(page, "asset-detail");
        await detail.GetByTestId("asset-detail-close").ClickAsync();

        // Select two assets, run a Port Scan on this scanner: the scan exists, over exactly those addresses.
        await Expect(page.GetByTestId("scan-portscan")).ToBeDisabledAsync();
        await page.Locator("[data-testid=asset-row][data-ip='10.77.60.2']").GetByTestId("select-asset").CheckAsync();
        await page.Locator("[data-testid=asset-row][data-ip='10.77.60.3']").GetByTestId("select-asset").CheckAsync();
        await Expect(page.GetByTestId("selected-count")).ToHaveTextAsync("2 selected");
        await page.GetByTestId("scan-scanner").SelectOptionAsync(new SelectOptionValue { Label = "ui-assets-01" });
        await page.GetByTestId("scan-portscan").ClickAsync();
        var toast = page.GetByTestId("toast").Filter(new LocatorFilterOptions { HasText = "Port Scan of 2 assets started" });
        await Expect(toast).ToBeVisibleAsync();
        var started = (await _f.Api.GetAsync("/api/scans"))["scans"]!.AsArray()
            .Single(s => s!["action"]?.ToString() == "portscan" && s["targets"]!.AsArray().Any(t => t!.ToString() == "10.77.60.2"))!;
        Assert.Equal(["10.77.60.2", "10.77.60.3"], started["targets"]!.AsArray().Select(t => t!.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal("Port Scan", started["name"]!.ToString());
        await ShotAsync(page, "assets");
        await NoScriptErrors(page, errors);
    }
}
