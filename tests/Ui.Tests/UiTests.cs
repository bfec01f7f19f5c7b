using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Outpost.Ui.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Outpost.Ui.Tests;

/// <summary>
/// The admin web UI in a real browser against the real daemon. Every wait is a Playwright
/// web-first assertion (it retries until the condition holds or the timeout passes); nothing
/// sleeps. Tests share one seeded daemon, so each one finds its data by its own /28.
/// </summary>
public sealed partial class UiTests(UiFixture fixture) : IClassFixture<UiFixture>
{
    private readonly UiFixture _f = fixture;

    private static ILocator Rows(IPage page) => page.GetByTestId("job-row");

    /// <summary>Opens a page and records uncaught script errors, which fail the test at <see cref="NoScriptErrors"/>.</summary>
    private async Task<(IPage Page, List<string> Errors)> OpenAsync(string hash, bool signedIn = true, ColorScheme scheme = ColorScheme.Light,
        bool asViewer = false)
    {
        var page = await _f.NewPageAsync(signedIn, scheme, asViewer);
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync("/" + hash);
        return (page, errors);
    }

    private static async Task NoScriptErrors(IPage page, List<string> errors)
    {
        await page.Context.CloseAsync();
        Assert.True(errors.Count == 0, "uncaught errors in the page:\n" + string.Join("\n", errors));
    }

    /// <summary>axe-core (Deque.AxeCore.Playwright) on the page as shown: its serious and critical violations, named.</summary>
    private static async Task<IEnumerable<string>> SeriousAccessibilityViolationsAsync(IPage page, string name)
    {
        // A dialog or toast still fading in has its colours blended with the page behind: judge what settles, not a frame.
        // (Endless ones, a spinner, are left running.)
        await page.EvaluateAsync("() => Promise.all(document.getAnimations().filter(a => a.effect?.getTiming().iterations !== Infinity).map(a => a.finished))");
        var result = await page.RunAxe();
        return result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{name}: {v.Id} ({v.Impact}): {v.Help} at {string.Join("; ", v.Nodes.Take(6).Select(n => n.Target?.ToString()))}");
    }

    private static async Task ShotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(UiFixture.ScreenshotDir, name + ".png") });

    private static async Task SearchJobsAsync(IPage page, string text, string mustContain)
    {
        await page.GetByTestId("jobs-search").FillAsync(text);
        await Expect(Rows(page).First).ToContainTextAsync(mustContain);
        await Expect(Rows(page).Filter(new LocatorFilterOptions { HasNotText = mustContain })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task WrongSecretIsRefusedAndTheRightOneSignsIn()
    {
        var (page, errors) = await OpenAsync("", signedIn: false);
        await Expect(page.GetByTestId("login-form")).ToBeVisibleAsync();
        await Expect(page).ToHaveURLAsync(new Regex("#/login"));
        await Expect(page.GetByTestId("nav-jobs")).ToBeHiddenAsync();

        await page.GetByTestId("login-mode").ClickAsync();
        await page.GetByLabel("Admin secret").FillAsync("definitely-not-the-secret");
        await page.GetByTestId("login-submit").ClickAsync();
        await Expect(page.GetByTestId("login-error")).ToContainTextAsync("Wrong admin secret");
        await Expect(page.GetByLabel("Admin secret")).ToHaveAttributeAsync("aria-invalid", "true");
        await ShotAsync(page, "login");

        await page.GetByLabel("Admin secret").FillAsync(Daemon.AdminToken);
        await page.GetByTestId("login-submit").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Jobs", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("nav-jobs")).ToHaveAttributeAsync("aria-current", "page");

        await page.GetByTestId("logout").ClickAsync();
        await Expect(page.GetByTestId("login-form")).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Expect(page.GetByTestId("login-form")).ToBeVisibleAsync();
        await page.GetByTestId("login-mode").ClickAsync();

        // Repeated failures lock sign-in for a while, and the page says so (429 TOO_MANY_ATTEMPTS).
        // Other tests reuse a session made at start-up, so the lock-out does not disturb them.
        var statuses = new List<int>();
        for (var attempt = 0; attempt < 8 && !statuses.Contains(429); attempt++)
        {
            await page.GetByLabel("Admin secret").FillAsync($"wrong-{attempt}");
            var response = await page.RunAndWaitForResponseAsync(
                () => page.GetByTestId("login-submit").ClickAsync(),
                r => r.Url.EndsWith("/api/session", StringComparison.Ordinal) && r.Request.Method == "POST");
            statuses.Add(response.Status);
        }

        Assert.Equal(429, statuses[^1]);
        Assert.All(statuses[..^1], st => Assert.Equal(401, st));
        await Expect(page.GetByTestId("login-error")).ToContainTextAsync("Too many failed attempts");
        await Expect(page.GetByTestId("login-submit")).ToBeDisabledAsync();
        await ShotAsync(page, "login-locked");
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task AlarmsAreShownOnEveryPage()
    {
        // The daemon raises alarms on timeouts (scanner silent for 90 s, scan stuck); the banner is checked with the
        // alarm document in the daemon's own shape, answered by the browser for /api/alarms.
        var page = await _f.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        var body = """{"alarms":[{"kind":"scanner-offline","subject":"2","message":"Scanner 'dc-frankfurt-02' has not sent a heartbeat since 2026-01-31 12:00:00Z.","raisedAt":"2026-01-31T12:01:30Z"}]}""";
        await page.RouteAsync("**/api/alarms", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200,
            ContentType = "application/json",
            Body = body,
        }));
        foreach (var hash in new[] { "#/jobs", "#/scans", "#/scanners", "#/settings" })
        {
            await page.GotoAsync("/" + hash);
            var banner = page.GetByTestId("alarm-banner");
            await Expect(banner).ToBeVisibleAsync();
            await Expect(banner.GetByTestId("alarm")).ToContainTextAsync("Scanner offline");
            await Expect(banner.GetByTestId("alarm")).ToContainTextAsync("dc-frankfurt-02");
        }

        // Cleared alarms: no banner.
        body = """{"alarms":[]}""";
        await page.RunAndWaitForResponseAsync(() => page.ReloadAsync(), r => r.Url.EndsWith("/api/alarms", StringComparison.Ordinal));
        await Expect(page.GetByTestId("alarm-banner")).ToBeHiddenAsync();
        await Expect(page.GetByTestId("alarm")).ToHaveCountAsync(0);
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task JobsPageShowsSeededJobsAndSearchNarrowsTheTable()
    {
        var s = _f.Seed;
        var (page, errors) = await OpenAsync("#/jobs");
        await Expect(Rows(page).First).ToBeVisibleAsync();
        var failed = s.FailedCount;
        await Expect(page.GetByTestId("status-count-failed")).ToHaveTextAsync(failed.ToString(CultureInfo.InvariantCulture));
        await Expect(page.GetByTestId("jobs-table").Locator("thead")).ToContainTextAsync("Source IP");
        var before = await Rows(page).CountAsync();

        // "/" jumps to the search box from anywhere on the page.
        await page.Locator("body").PressAsync("/");
        await Expect(page.GetByTestId("jobs-search")).ToBeFocusedAsync();

        // Target.
        await SearchJobsAsync(page, "10.77.3.", "10.77.3.");
        Assert.True(await Rows(page).CountAsync() < before, "searching a /28 should narrow the table");

        // Scanner name: every row's Source is that scanner.
        await page.GetByTestId("jobs-search").FillAsync("edge-berlin-01");
        await Expect(page.GetByTestId("job-source").Filter(new LocatorFilterOptions { HasNotText = "edge-berlin-01" })).ToHaveCountAsync(0);
        await Expect(Rows(page).First).ToBeVisibleAsync();

        // Error text finds the failed jobs with that error.
        await SearchJobsAsync(page, "refused", "10.77.3.");

        // Esc clears the search and the whole window is back.
        await page.GetByTestId("jobs-search").PressAsync("Escape");
        await Expect(page.GetByTestId("jobs-search")).ToHaveValueAsync("");
        await Expect(Rows(page)).ToHaveCountAsync(before);
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task StatusFilterAndFailedReasonFilterWithErrorTooltip()
    {
        var s = _f.Seed;
        var (page, errors) = await OpenAsync("#/jobs");
        await Expect(Rows(page).First).ToBeVisibleAsync();

        await page.GetByTestId("status-filter-failed").ClickAsync();
        await Expect(page.GetByTestId("status-filter-failed")).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(page.Locator("[data-testid=job-row]:not([data-status=failed])")).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-testid=job-row][data-status=failed]")).ToHaveCountAsync(s.FailedCount);
        await Expect(page).ToHaveURLAsync(new Regex("status=failed"));

        // Similar failures are grouped; picking a reason leaves only those jobs.
        var timedOut = page.GetByTestId("failed-reason").Filter(new LocatorFilterOptions { HasText = "timed out" });
        await Expect(timedOut).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("failed-reason").Filter(new LocatorFilterOptions { HasText = "refused" })).ToHaveCountAsync(1);
        await timedOut.ClickAsync();
        await Expect(timedOut).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(Rows(page)).ToHaveCountAsync(s.TimeoutJobs.Count);
        await Expect(Rows(page).Filter(new LocatorFilterOptions { HasNotText = "10.77.2." })).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("chip-reason")).ToContainTextAsync("timed out");

        // The error is in a tooltip: on hover...
        var status = Rows(page).First.GetByTestId("job-error");
        var tip = Rows(page).First.GetByTestId("job-error-tooltip");
        await Expect(tip).ToBeHiddenAsync();
        await status.HoverAsync();
        await Expect(tip).ToBeVisibleAsync();
        await Expect(tip).ToContainTextAsync(Seed.TimeoutError);
        await ShotAsync(page, "jobs-failed-tooltip");
        // ...and on keyboard focus.
        await page.Mouse.MoveAsync(5, 5);
        await Expect(tip).ToBeHiddenAsync();
        await status.FocusAsync();
        await Expect(tip).ToBeVisibleAsync();

        // Removing the reason chip goes back to all failed jobs.
        await page.GetByTestId("chip-reason").GetByRole(AriaRole.Button).ClickAsync();
        await Expect(Rows(page)).ToHaveCountAsync(s.FailedCount);
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task PauseAndResumeJobsNeedAConfirmation()
    {
        var (page, errors) = await OpenAsync("#/jobs");
        var button = page.GetByTestId("pause-jobs");
        await Expect(button).ToHaveTextAsync("Pause Jobs");
        await Expect(page.GetByTestId("next-cycle")).ToBeVisibleAsync();

        // Esc cancels: nothing changes.
        await button.ClickAsync();
        var dialog = page.GetByTestId("confirm-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync("Currently running jobs will complete normally");
        await Expect(dialog.GetByTestId("confirm-ok")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(button).ToHaveTextAsync("Pause Jobs");
        Assert.False((await _f.Api.GetAsync("/api/scheduler"))["paused"]!.GetValue<bool>());

        // Tab stays inside the dialog (focus trap).
        await button.ClickAsync();
        await Expect(dialog).ToBeVisibleAsync();
        for (var i = 0; i < 4; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            Assert.True(await dialog.EvaluateAsync<bool>("d => d.contains(document.activeElement)"), "focus left the dialog");
        }

        await ShotAsync(page, "jobs-pause-dialog");
        await dialog.GetByTestId("confirm-ok").ClickAsync();
        await Expect(button).ToHaveTextAsync("Resume Jobs");
        await Expect(page.GetByTestId("scheduler-state")).ToContainTextAsync("paused");
        Assert.True((await _f.Api.GetAsync("/api/scheduler"))["paused"]!.GetValue<bool>());

        await button.ClickAsync();
        await Expect(dialog).ToContainTextAsync("Resume");
        await dialog.GetByTestId("confirm-ok").ClickAsync();
        await Expect(button).ToHaveTextAsync("Pause Jobs");
        await Expect(page.GetByTestId("scheduler-state")).Not.ToContainTextAsync("paused");
        Assert.False((await _f.Api.GetAsync("/api/scheduler"))["paused"]!.GetValue<bool>());
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task RerunIsDisabledOnARunningJobAndWorksOnAFailedOne()
    {
        var (page, errors) = await OpenAsync("#/jobs");

        await SearchJobsAsync(page, "10.77.1.", "10.77.1.");
        var running = page.Locator("[data-testid=job-row][data-status=running]").First;
        await Expect(running.GetByTestId("status")).ToHaveTextAsync("Running");
        await Expect(running.GetByTestId("rerun")).ToBeDisabledAsync();
        await Expect(running.GetByTestId("rerun")).ToHaveAttributeAsync("title", new Regex("running"));
        await Expect(running.GetByTestId("job-progress")).ToContainTextAsync("probes");
        await Expect(running.GetByTestId("job-pps")).ToContainTextAsync("pps");

        await SearchJobsAsync(page, "10.77.3.", "10.77.3.");
        var failed = page.Locator("[data-testid=job-row][data-status=failed]").First;
        var failedId = await failed.GetAttributeAsync("data-job-id");
        await Expect(failed.GetByTestId("rerun")).ToBeEnabledAsync();
        await failed.GetByTestId("rerun").ClickAsync();
        await Expect(page.GetByTestId("toast").Filter(new LocatorFilterOptions { HasText = "Re-run queued" })).ToBeVisibleAsync();

        // The new attempt is a queued job of the same target, and it cannot be re-run itself.
        var rerun = Rows(page).Filter(new LocatorFilterOptions { HasText = $"re-run of #{failedId}" });
        await Expect(rerun).ToHaveCountAsync(1);
        await Expect(rerun).ToHaveAttributeAsync("data-status", "queued");
        await Expect(rerun.GetByTestId("status")).ToHaveTextAsync("Queued");
        await Expect(rerun.GetByTestId("rerun")).ToBeDisabledAsync();
        // The failed job stays as it was, for history.
        await Expect(page.Locator($"[data-testid=job-row][data-job-id='{failedId}']")).ToHaveAttributeAsync("data-status", "failed");

        var jobs = await _f.Api.JobsAsync("10.77.3.");
        Assert.Contains(jobs, j => j["rerunOf"]?.ToString() == failedId);
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task CreatingAScannerShowsItsKeyOnceAndItCanBeDisabled()
    {
        var (page, errors) = await OpenAsync("#/scanners");
        await Expect(page.GetByTestId("scanner-row").Filter(new LocatorFilterOptions { HasText = "edge-berlin-01" })).ToBeVisibleAsync();

        await page.GetByTestId("add-scanner").ClickAsync();
        var form = page.GetByTestId("scanner-dialog");
        await form.GetByLabel("Name").FillAsync("ui-node-01");
        await form.GetByLabel("Max probes per second").FillAsync("2500");
        await page.GetByTestId("scanner-submit").ClickAsync();

        var keyDialog = page.GetByTestId("key-dialog");
        await Expect(keyDialog).ToBeVisibleAsync();
        await Expect(keyDialog).ToContainTextAsync("shown only once");
        var key = (await page.GetByTestId("new-api-key").TextContentAsync())!.Trim();
        Assert.True(key.Length >= 16, $"an API key should be long and random, got \"{key}\"");
        await Expect(page.GetByTestId("probe-command")).ToHaveTextAsync($"outpost-probe node --appliance {_f.BaseUrl} --api-key {key}");
        await Expect(page.GetByTestId("copy-key")).ToBeVisibleAsync();
        await ShotAsync(page, "scanners-key-once");
        Assert.Equal(HttpStatusCode.OK, await _f.Api.ScannerStatusAsync(key));

        await page.GetByTestId("key-done").ClickAsync();
        await Expect(keyDialog).ToHaveCountAsync(0);
        var row = page.Locator("[data-testid=scanner-row][data-name='ui-node-01']");
        await Expect(row).ToBeVisibleAsync();
        await Expect(row).ToContainTextAsync("2,500 pps");
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
        await page.ReloadAsync();
        await Expect(row).ToBeVisibleAsync();
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);

        // Disable: the scanner's key is refused from then on.
        await row.GetByTestId("scanner-toggle").ClickAsync();
        await page.GetByTestId("confirm-ok").ClickAsync();
        await Expect(row.GetByTestId("scanner-state")).ToHaveTextAsync("Disabled");
        await Expect(row.GetByTestId("scanner-toggle")).ToHaveTextAsync("Enable");
        Assert.Equal(HttpStatusCode.Forbidden, await _f.Api.ScannerStatusAsync(key));
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task CreatingAScanAndStoppingIt()
    {
        var s = _f.Seed;
        var (page, errors) = await OpenAsync("#/scans");
        await page.GetByTestId("new-scan").ClickAsync();
        var dialog = page.GetByTestId("scan-dialog");
        await Expect(dialog).ToBeVisibleAsync();

        // Validation first: nothing filled in.
        await page.GetByTestId("scan-submit").ClickAsync();
        await Expect(page.GetByTestId("scan-form-error")).ToContainTextAsync("name");

        await dialog.GetByLabel("Name").FillAsync("ui-stop-me");
        await dialog.GetByLabel("Targets").FillAsync("10.77.9.0/28");
        await dialog.GetByLabel("Ports", new() { Exact = true }).FillAsync("22,443");
        await Expect(page.GetByTestId("scan-estimate")).ToContainTextAsync("32 probes");
        await dialog.GetByTestId("scan-scanners").GetByLabel("lab-stoptest").CheckAsync();
        await page.GetByTestId("scan-submit").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        var card = page.GetByTestId("scan-card");
        await Expect(card.GetByTestId("card-name")).ToHaveTextAsync("ui-stop-me");
        await Expect(card.GetByTestId("scan-status")).ToHaveTextAsync("Running");
        await Expect(page.GetByTestId("tab-active")).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(page.GetByTestId("scan-row").Filter(new LocatorFilterOptions { HasText = "ui-stop-me" })).ToBeVisibleAsync();

        // Its scanner picks the jobs up and starts probing, so a stop has to wait for it.
        var jobs = await _f.Api.ClaimAllAsync(s.StopTest);
        Assert.NotEmpty(jobs);
        foreach (var id in jobs)
        {
            await _f.Api.StartAsync(s.StopTest, id);
        }

        await card.GetByTestId("stop-scan").ClickAsync();
        await page.GetByTestId("confirm-ok").ClickAsync();
        await Expect(card.GetByTestId("scan-status")).ToHaveTextAsync("Stopping");
        await Expect(card.GetByTestId("stopping-note")).ToBeVisibleAsync();
        await Expect(card.GetByTestId("stop-scan")).ToHaveCountAsync(0);

        // The scanner is told to stop in its progress reply, and confirms by completing.
        foreach (var id in jobs)
        {
            var reply = await _f.Api.ProgressAsync(s.StopTest, id, 4, 0);
            Assert.True(reply["stop"]?.GetValue<bool>() == true, $"progress reply for job {id} should say stop: {reply.ToJsonString()}");
            await _f.Api.CompleteAsync(s.StopTest, id, "completed", resultCount: 0);
        }

        await Expect(card.GetByTestId("scan-status")).ToHaveTextAsync("Stopped", new() { Timeout = 30_000 });
        await page.GetByTestId("tab-failed").ClickAsync();
        await Expect(page.GetByTestId("scan-row").Filter(new LocatorFilterOptions { HasText = "ui-stop-me" })).ToBeVisibleAsync();
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task ScanTabsSearchAndResults()
    {
        var s = _f.Seed;
        var (page, errors) = await OpenAsync("#/scans?tab=completed");
        await Expect(page.GetByTestId("tab-completed")).ToHaveAttributeAsync("aria-selected", "true");
        var core = page.GetByTestId("scan-row").Filter(new LocatorFilterOptions { HasText = s.CompletedScanName });
        await Expect(core).ToBeVisibleAsync();

        // Arrow keys move between tabs.
        await page.GetByTestId("tab-completed").FocusAsync();
        await page.Keyboard.PressAsync("ArrowLeft");
        await Expect(page.GetByTestId("tab-failed")).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(page.GetByTestId("scan-row").Filter(new LocatorFilterOptions { HasText = "Branch offices" })).ToBeVisibleAsync();
        await page.GetByTestId("tab-active").ClickAsync();
        await Expect(page.GetByTestId("scan-row").Filter(new LocatorFilterOptions { HasText = "DMZ sweep" })).ToBeVisibleAsync();
        if (s.HasScheduledScan)
        {
            await page.GetByTestId("tab-scheduled").ClickAsync();
            await Expect(page.GetByTestId("scan-row").Filter(new LocatorFilterOptions { HasText = "Quarterly PCI scope" })).ToBeVisibleAsync();
        }

        // Search counts across every tab.
        await page.GetByTestId("scans-search").FillAsync("datacenter");
        await Expect(page.GetByTestId("tab-count-completed")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("tab-count-active")).ToHaveTextAsync("0");
        await page.GetByTestId("tab-completed").ClickAsync();

        await core.ClickAsync();
        var card = page.GetByTestId("scan-card");
        await Expect(card.GetByTestId("scan-status")).ToHaveTextAsync("Completed");
        await Expect(card.GetByTestId("scan-rings")).ToBeVisibleAsync();
        await Expect(card.GetByTestId("result-row").First).ToBeVisibleAsync();
        await Expect(card.GetByTestId("results-table")).ToContainTextAsync("10.77.4.1");
        await Expect(card.GetByTestId("export-csv")).ToHaveAttributeAsync("href", $"/api/scans/{s.CompletedScanId}/results?format=csv");

        // The CSV export link works with the browser's session.
        var csv = await page.APIRequest.GetAsync($"/api/scans/{s.CompletedScanId}/results?format=csv");
        Assert.Equal(200, csv.Status);
        Assert.Contains("10.77.4.1", await csv.TextAsync(), StringComparison.Ordinal);
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task SettingsAreSavedAndSurviveAReload()
    {
        var (page, errors) = await OpenAsync("#/settings");
        await Expect(page.GetByTestId("window-row")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("subnet-row").First.GetByLabel("Subnet", new() { Exact = true })).ToHaveValueAsync("10.77.0.0/16");
        await Expect(page.GetByTestId("portlist-row").First.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("web");
        await Expect(page.GetByTestId("tls-fingerprint")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("save-settings")).ToBeDisabledAsync();

        await page.GetByTestId("add-window").ClickAsync();
        var window = page.GetByTestId("window-row").Nth(1);
        await window.GetByLabel("From").FillAsync("08:00");
        await window.GetByLabel("Until").FillAsync("18:00");
        await window.GetByLabel("Sat").CheckAsync();
        await page.GetByTestId("add-subnet").ClickAsync();
        var subnet = page.GetByTestId("subnet-row").Last;
        await subnet.GetByLabel("Subnet", new() { Exact = true }).FillAsync("10.99.0.0/16");
        await subnet.GetByLabel("Max probes/s").FillAsync("750");
        await page.GetByTestId("add-exclusion").ClickAsync();
        var exclusion = page.GetByTestId("exclusion-row").Last;
        await exclusion.GetByLabel("Target").FillAsync("10.99.0.5:22");
        await exclusion.GetByLabel("Pool (optional)").FillAsync("dc-frankfurt");
        await page.GetByTestId("attr-value").FillAsync("Outpost scan by ACME SecOps");
        await Expect(page.GetByTestId("settings-state")).ToHaveTextAsync("Unsaved changes");
        await page.GetByTestId("save-settings").ClickAsync();
        await Expect(page.GetByTestId("settings-state")).ToHaveTextAsync("Saved");

        var saved = await _f.Api.GetAsync("/api/settings/scan");
        Assert.Equal(2, saved["windows"]!.AsArray().Count);
        Assert.Contains(saved["subnetLimits"]!.AsArray(), l => l!["cidr"]!.ToString() == "10.99.0.0/16" && l["maxProbesPerSecond"]!.GetValue<int>() == 750);
        Assert.Contains("ACME SecOps", saved["attributionHeader"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains(saved["exclusions"]!.AsArray(), e => e!["target"]!.ToString() == "10.99.0.5:22" && e["pool"]!.ToString() == "dc-frankfurt");

        await page.ReloadAsync();
        await Expect(page.GetByTestId("window-row")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("window-row").Nth(1).GetByLabel("Sat")).ToBeCheckedAsync();
        await Expect(page.GetByTestId("subnet-row").Last.GetByLabel("Subnet", new() { Exact = true })).ToHaveValueAsync("10.99.0.0/16");
        await Expect(page.GetByTestId("attr-value")).ToHaveValueAsync("Outpost scan by ACME SecOps");
        await Expect(page.GetByTestId("exclusion-row").Last.GetByLabel("Target")).ToHaveValueAsync("10.99.0.5:22");

        // A window without days is refused before it reaches the server.
        foreach (var day in new[] { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" })
        {
            await page.GetByTestId("window-row").Nth(1).GetByLabel(day).SetCheckedAsync(false);
        }

        await page.GetByTestId("save-settings").ClickAsync();
        await Expect(page.GetByTestId("settings-error")).ToContainTextAsync("at least one day");
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task ThemeToggleOverridesTheSystemThemeAndIsRemembered()
    {
        var (page, errors) = await OpenAsync("#/scanners", scheme: ColorScheme.Dark);
        var html = page.Locator("html");
        var background = () => page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
        await Expect(page.GetByTestId("theme-toggle")).ToHaveAttributeAsync("aria-label", "Switch to light theme");
        var dark = await background();

        await page.GetByTestId("theme-toggle").ClickAsync();
        await Expect(html).ToHaveAttributeAsync("data-theme", "light");
        await Expect(page.GetByTestId("theme-toggle")).ToHaveAttributeAsync("aria-label", "Switch to dark theme");
        Assert.NotEqual(dark, await background());

        await page.ReloadAsync();
        await Expect(html).ToHaveAttributeAsync("data-theme", "light");
        await Expect(page.GetByTestId("scanner-row").First).ToBeVisibleAsync();
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task ScreenshotsOfEveryPage()
    {
        var s = _f.Seed;
        var shots = new (string Name, string Hash, string Ready, ColorScheme Scheme)[]
        {
            ("jobs", "#/jobs", "job-row", ColorScheme.Light),
            ("jobs-dark", "#/jobs", "job-row", ColorScheme.Dark),
            ("scans", $"#/scans?tab=active&id={s.RunningScanId}", "result-row", ColorScheme.Light),
            ("scans-completed", $"#/scans?tab=completed&id={s.CompletedScanId}", "result-row", ColorScheme.Light),
            ("scans-dark", $"#/scans?tab=completed&id={s.CompletedScanId}", "result-row", ColorScheme.Dark),
            ("scanners", "#/scanners", "scanner-row", ColorScheme.Light),
            ("settings", "#/settings", "settings-form", ColorScheme.Light),
            ("users", "#/users", "user-row", ColorScheme.Light),
            ("audit", "#/audit", "audit-row", ColorScheme.Light),
            ("account", "#/account", "password-form", ColorScheme.Light),
        };
        var accessibility = new List<string>();
        foreach (var (name, hash, ready, scheme) in shots)
        {
            var (page, errors) = await OpenAsync(hash, scheme: scheme);
            await Expect(page.GetByTestId(ready).First).ToBeVisibleAsync();
            if (name.StartsWith("jobs", StringComparison.Ordinal))
            {
                await Expect(page.GetByTestId("status-count-all")).Not.ToHaveTextAsync("…");
            }

            await ShotAsync(page, name);
            accessibility.AddRange(await SeriousAccessibilityViolationsAsync(page, name));
            await NoScriptErrors(page, errors);
        }

        var (login, loginErrors) = await OpenAsync("#/login", signedIn: false);
        await Expect(login.GetByTestId("login-form")).ToBeVisibleAsync();
        accessibility.AddRange(await SeriousAccessibilityViolationsAsync(login, "login"));
        await NoScriptErrors(login, loginErrors);
        Assert.True(accessibility.Count == 0, "axe-core found serious or critical violations:\n" + string.Join("\n", accessibility));

        // The README shows the Jobs and Scans pages.
        var docs = Path.Combine(Daemon.RepoRoot(), "docs", "screenshots");
        Directory.CreateDirectory(docs);
        foreach (var name in new[] { "jobs", "scans" })
        {
            File.Copy(Path.Combine(UiFixture.ScreenshotDir, name + ".png"), Path.Combine(docs, name + ".png"), overwrite: true);
            Assert.True(new FileInfo(Path.Combine(docs, name + ".png")).Length > 10_000, $"{name}.png looks empty");
        }
    }

    [Fact]
    public async Task UsersPageCreatesAUserTheAuditPageShowsItAndAViewerSeesNoControlsAboveItsRole()
    {
        var (page, errors) = await OpenAsync("#/users");
        await Expect(page.GetByTestId("nav-users")).ToBeVisibleAsync();
        await page.GetByLabel("Username").FillAsync("ui-operator");
        await page.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("operator");
        await page.GetByLabel("First password").FillAsync("ui operator password");
        await page.GetByTestId("create-user").ClickAsync();
        await Expect(page.Locator("[data-testid=user-row][data-username=ui-operator]")).ToBeVisibleAsync();

        await page.GotoAsync("/#/audit");
        await page.GetByTestId("audit-search").FillAsync("ui-operator");
        await Expect(page.GetByTestId("audit-row").First).ToContainTextAsync("POST /api/users");
        await Expect(page.GetByTestId("audit-export")).ToHaveAttributeAsync("href", new Regex("format=csv&q=ui-operator"));
        await NoScriptErrors(page, errors);

        // A viewer (signed in by the fixture, before any test locks the sign-in form) is offered nothing it may not do.
        var (viewer, viewerErrors) = await OpenAsync("#/jobs", asViewer: true);
        await Expect(viewer.GetByRole(AriaRole.Heading, new() { Name = "Jobs", Exact = true })).ToBeVisibleAsync();
        await Expect(viewer.GetByTestId("job-row").First).ToBeVisibleAsync();
        await Expect(viewer.GetByTestId("nav-users")).ToBeHiddenAsync();
        await Expect(viewer.GetByTestId("nav-audit")).ToBeHiddenAsync();
        await Expect(viewer.GetByTestId("pause-jobs")).ToBeHiddenAsync();
        Assert.True(await viewer.GetByTestId("rerun").CountAsync() > 0, "the seeded jobs have rerun buttons");
        await Expect(viewer.GetByTestId("rerun").First).ToBeHiddenAsync();
        await viewer.GotoAsync("/#/scanners");
        await Expect(viewer.GetByTestId("scanner-row").First).ToBeVisibleAsync();
        await Expect(viewer.GetByTestId("add-scanner")).ToBeHiddenAsync();
        // An admin page typed into the address bar sends it back to Jobs.
        await viewer.GotoAsync("/#/users");
        await Expect(viewer).ToHaveURLAsync(new Regex("#/jobs"));
        await NoScriptErrors(viewer, viewerErrors);
    }
}
