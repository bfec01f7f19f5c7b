using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Outpost.Ui.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Outpost.Ui.Tests;

// The change summary on the Scans page card (docs/inventory.md, "Change summary"): two runs of the same port scan,
// their jobs run by hand as a scanner would, with a known difference; the second run's card shows the counts, and
// each list, expanded, exactly what appeared and went.
public sealed partial class UiTests
{
    [Fact]
    public async Task TheScanCardShowsTheChangeSummaryCountsAndExpandsToExactlyTheNewAndGoneItems()
    {
        var scanner = await _f.Api.CreateScannerAsync("ui-changes-01");
        var first = await RunAsync(scanner, [("10.77.62.1", 22), ("10.77.62.1", 80), ("10.77.62.2", 443), ("10.77.62.4", 22)]);
        var second = await RunAsync(scanner, [("10.77.62.1", 22), ("10.77.62.2", 443), ("10.77.62.3", 80)]);

        var (page, errors) = await OpenAsync($"#/scans?tab=completed&id={second}");
        var card = page.Locator($"[data-testid=scan-card][data-scan-id='{second}']");
        var changes = card.GetByTestId("scan-changes");
        await Expect(changes).ToContainTextAsync($"against run #{first}");
        var lists = new (string TestId, string Label, string[] Items)[]
        {
            ("changes-new-assets", "new assets", ["10.77.62.3"]),
            ("changes-gone-assets", "gone assets", ["10.77.62.4"]),
            ("changes-new-services", "new services", ["10.77.62.3:80/tcp"]),
            ("changes-gone-services", "gone services", ["10.77.62.1:80/tcp", "10.77.62.4:22/tcp"]),
            ("changes-changed-services", "changed services", []),
        };
        foreach (var (testId, label, items) in lists)
        {
            var list = changes.GetByTestId(testId);
            await Expect(list.Locator("summary")).ToHaveTextAsync($"{items.Length} {label}");
            // Collapsed until asked: the counts alone, then exactly the items.
            await Expect(list.Locator("li")).ToHaveCountAsync(items.Length);
            if (items.Length == 0) continue;
            await Expect(list.Locator("li").First).ToBeHiddenAsync();
            await list.Locator("summary").ClickAsync();
            await Expect(list.Locator("li")).ToHaveTextAsync(items);
            await Expect(list.Locator("li").First).ToBeVisibleAsync();
        }

        // The first run, opened from the list, had nothing to compare with: everything it saw is new.
        await page.Locator($"[data-testid=scan-row][data-scan-id='{first}']").ClickAsync();
        var firstChanges = page.Locator($"[data-testid=scan-card][data-scan-id='{first}']").GetByTestId("scan-changes");
        await Expect(firstChanges).ToContainTextAsync("first run: everything is new");
        await Expect(firstChanges.GetByTestId("changes-new-assets").Locator("summary")).ToHaveTextAsync("3 new assets");
        await Expect(firstChanges.GetByTestId("changes-new-services").Locator("summary")).ToHaveTextAsync("4 new services");
        await NoScriptErrors(page, errors);
    }

    /// <summary>A port scan of 10.77.62.1–4 whose one job reports <paramref name="open"/> and completes; returns its id once it is processed.</summary>
    private async Task<long> RunAsync(ApplianceApi.ScannerInfo scanner, (string Ip, int Port)[] open)
    {
        var scan = await _f.Api.CreateScanAsync("ui changes", ["10.77.62.1-10.77.62.4"], "22,80,443", [scanner]);
        var scanId = long.Parse(scan["id"]!.ToString(), CultureInfo.InvariantCulture);
        await CompleteTheScansOnlyJobAsync(scanner, scanId, open);
        return scanId;
    }

    /// <summary>
    /// Claims the one job of scan <paramref name="scanId"/> as <paramref name="scanner"/>, reports <paramref name="open"/>
    /// and completes it; the scan is then processed and completed.
    /// </summary>
    private async Task CompleteTheScansOnlyJobAsync(ApplianceApi.ScannerInfo scanner, long scanId, (string Ip, int Port)[] open)
    {
        // Only this scan's job: the follow-ups an earlier run planned (fingerprints) are for other scanners' claims.
        var claimed = await _f.Api.SendAsync(HttpMethod.Get, "/scanner/jobs?limit=10", null, HttpStatusCode.OK, scanner.ApiKey);
        var jobId = claimed["jobs"]!.AsArray().Where(j => j!["scanId"]!.GetValue<long>() == scanId).Select(j => j!["jobId"]!.GetValue<long>()).Single();
        await _f.Api.StartAsync(scanner, jobId);
        await _f.Api.ResultsAsync(scanner, jobId, open.Select(o => (o.Ip, o.Port, "open")));
        await _f.Api.CompleteAsync(scanner, jobId, "completed", resultCount: open.Length);
        // A small scan is processed as its last job is acknowledged: its status is final at once.
        Assert.Equal("completed", (await _f.Api.GetAsync($"/api/scans/{scanId}"))["status"]!.ToString());
    }
}
