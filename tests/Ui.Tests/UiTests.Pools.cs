using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Outpost.Ui.Tests;

// Pools in the UI (docs/admin-api.md, "Pools"): the Scanners page groups scanners by pool and edits it; the scan form
// picks pools next to scanners.
public sealed partial class UiTests
{
    [Fact]
    public async Task AScannerJoinsAPoolOnTheScannersPageAndAScanTargetsThePool()
    {
        var (page, errors) = await OpenAsync("#/scanners");
        await page.GetByTestId("add-scanner").ClickAsync();
        var form = page.GetByTestId("scanner-dialog");
        await form.GetByLabel("Name").FillAsync("ui-pool-node");
        await form.GetByLabel("Pool").FillAsync("dc-ui-pool");
        await page.GetByTestId("scanner-submit").ClickAsync();
        await page.GetByTestId("key-done").ClickAsync();

        // Its pool is a group of its own, named, with its members under it.
        var group = page.Locator("[data-testid=pool-group][data-pool='dc-ui-pool']");
        await Expect(group.GetByTestId("pool-name")).ToHaveTextAsync("dc-ui-pool");
        await Expect(group.GetByTestId("pool-online")).ToContainTextAsync("0 of 1 online");
        var row = page.Locator("[data-testid=scanner-row][data-name='ui-pool-node']");
        await Expect(row.GetByTestId("scanner-pool")).ToHaveTextAsync("dc-ui-pool");
        Assert.Empty(await SeriousAccessibilityViolationsAsync(page, "scanners with pools"));
        await ShotAsync(page, "scanners-pools");

        // The scan form offers the pool; the scan's jobs wait in the pool's queue.
        await page.GotoAsync("/#/scans");
        await page.GetByTestId("new-scan").ClickAsync();
        var dialog = page.GetByTestId("scan-dialog");
        await dialog.GetByLabel("Name").FillAsync("ui-pool-scan");
        await dialog.GetByLabel("Targets").FillAsync("10.77.30.0/28");
        await dialog.GetByLabel("Ports", new() { Exact = true }).FillAsync("80");
        await dialog.GetByTestId("scan-pools").GetByLabel("dc-ui-pool").CheckAsync();
        await page.GetByTestId("scan-submit").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        var jobs = await _f.Api.JobsAsync("10.77.30.0/28");
        var job = Assert.Single(jobs);
        Assert.Equal("dc-ui-pool", job["pool"]?.ToString());

        // Editing the scanner to leave the pool empties the group.
        await page.GotoAsync("/#/scanners");
        await row.GetByTestId("scanner-edit").ClickAsync();
        var edit = page.GetByTestId("scanner-edit-dialog");
        await Expect(edit.GetByLabel("Pool")).ToHaveValueAsync("dc-ui-pool");
        await edit.GetByLabel("Pool").FillAsync("");
        await page.GetByTestId("scanner-save").ClickAsync();
        await Expect(row.GetByTestId("scanner-pool")).ToHaveTextAsync("—");
        await Expect(group).ToHaveCountAsync(0);
        await NoScriptErrors(page, errors);
    }
}
