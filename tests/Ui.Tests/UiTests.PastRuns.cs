using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Outpost.Ui.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Outpost.Ui.Tests;

// A recurring scan's card lists its past runs (docs/inventory.md, "Change summary"): the run the schedule started,
// with its status and its change counts, and the run opens its own card.
public sealed partial class UiTests
{
    [Fact]
    public async Task ARecurringScansCardListsItsPastRunsWithTheirChangeCountsAndOpensARun()
    {
        var scanner = await _f.Api.CreateScannerAsync("ui-recurring-01");
        await _f.Api.HeartbeatAsync(scanner, "1.0.0");
        // Due once a day at a coming minute (UTC), at least ten seconds away, so exactly one run starts while the test waits.
        var now = DateTimeOffset.UtcNow;
        var due = now.AddMinutes(now.Second < 50 ? 1 : 2);
        var recurring = await _f.Api.CreateScanAsync("ui recurring", ["10.77.63.1-10.77.63.4"], "22,80", [scanner],
            new JsonObject { ["cron"] = $"{due.Minute} {due.Hour} * * *", ["timeZone"] = "UTC" });
        var recurringId = long.Parse(recurring["id"]!.ToString(), CultureInfo.InvariantCulture);

        var (page, errors) = await OpenAsync($"#/scans?tab=recurring&id={recurringId}");
        var pastRuns = page.Locator($"[data-testid=scan-card][data-scan-id='{recurringId}']").GetByTestId("past-runs");
        await Expect(pastRuns.GetByTestId("past-runs-empty")).ToBeVisibleAsync();

        var runId = await WaitForTheFirstRunAsync(scanner, recurringId, due.AddMinutes(2));
        // A run's jobs are automated: the seed's scan windows (weeknights) hold them, so the test opens the calendar
        // for its own claim and puts the seed's windows back.
        var settings = (await _f.Api.GetAsync("/api/settings/scan")).AsObject();
        var seededWindows = settings["windows"]!.DeepClone();
        settings["windows"] = new JsonArray();
        await _f.Api.PutAsync("/api/settings/scan", settings);
        try
        {
            await CompleteTheScansOnlyJobAsync(scanner, runId, [("10.77.63.1", 22), ("10.77.63.2", 80)]);
        }
        finally
        {
            settings["windows"] = seededWindows;
            await _f.Api.PutAsync("/api/settings/scan", settings);
        }

        // The card catches up at its next refresh: the run, completed, with the counts of its change summary.
        var run = pastRuns.Locator($"[data-testid=past-run][data-scan-id='{runId}']");
        await Expect(run.GetByTestId("past-run-changes")).ToHaveTextAsync(
            "2 new assets · 0 gone assets · 2 new services · 0 gone services · 0 changed services", new() { Timeout = 30_000 });
        await Expect(pastRuns.GetByTestId("past-run")).ToHaveCountAsync(1);
        await Expect(run.GetByTestId("open-run")).ToContainTextAsync($"Run #{runId}");
        await Expect(run.GetByTestId("open-run")).ToContainTextAsync("Completed");

        // The run opens its own card, in the tab it belongs to, with its change summary.
        await run.GetByTestId("open-run").ClickAsync();
        var runCard = page.Locator($"[data-testid=scan-card][data-scan-id='{runId}']");
        await Expect(runCard.GetByTestId("scan-changes")).ToContainTextAsync("first run: everything is new");
        await Expect(page.Locator("#tab-completed")).ToHaveAttributeAsync("aria-selected", "true");
        await NoScriptErrors(page, errors);

        await _f.Api.SendAsync(HttpMethod.Delete, $"/api/scans/{recurringId}", null, HttpStatusCode.NoContent);
    }

    /// <summary>The scan the schedule started at its due time, polled (heartbeats keep the scanner online meanwhile).</summary>
    private async Task<long> WaitForTheFirstRunAsync(ApplianceApi.ScannerInfo scanner, long recurringId, DateTimeOffset giveUpAt)
    {
        while (true)
        {
            await _f.Api.HeartbeatAsync(scanner, "1.0.0");
            var runs = (await _f.Api.GetAsync($"/api/schedules/{recurringId}"))["runs"]!.AsArray();
            if (runs.Count > 0)
            {
                var first = Assert.Single(runs)!;
                Assert.True(first["scanId"] is not null, $"the first due time was skipped: {first.ToJsonString()}");
                return first["scanId"]!.GetValue<long>();
            }

            Assert.True(DateTimeOffset.UtcNow < giveUpAt, $"recurring scan {recurringId} started no run by {giveUpAt:HH:mm:ss}");
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }
}
