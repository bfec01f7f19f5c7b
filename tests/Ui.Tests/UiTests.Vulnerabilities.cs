using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Outpost.Appliance.Vulnerabilities;
using Outpost.Store.Records;
using Outpost.Store.Records.Vulnerabilities;
using static Microsoft.Playwright.Assertions;

namespace Outpost.Ui.Tests;

// The Vulnerabilities page (docs/vulnerabilities.md): table, severity and status filters with counts, search, the
// detail with evidence and remediation, and accepting a risk with a note.
public sealed partial class UiTests
{
    [Fact]
    public async Task TheVulnerabilitiesPageFiltersSearchesShowsDetailAndAcceptsWithANote()
    {
        // Seeded through the ledger itself, on the daemon's records database (no API creates vulnerabilities: runs do).
        await using (var records = await RecordsDatabase.OpenSqliteAsync(Path.Combine(_f.Daemon.DataDirectory, RecordsDatabase.FileName), create: false,
                         NullLoggerFactory.Instance))
        {
            var ledger = new VulnerabilityLedger(new VulnerabilityRecords(records), [], TimeProvider.System);
            await ledger.RecordRunAsync(900, [], [
                new("ui-redis-no-auth", "Redis without authentication", "critical", "10.77.8.2", 6379, "PING answered +PONG without AUTH",
                    "Set requirepass, or bind Redis to localhost.", ["https://redis.io/docs/latest/operate/oss_and_stack/management/security/"]),
                new("ui-ftp-anonymous", "FTP allows anonymous login", "high", "10.77.8.3", 21, "230 Login successful.", "Set anonymous_enable=NO.", []),
                new("ui-hsts-missing", "HTTPS without HSTS", "low", "10.77.8.4", 443, "no Strict-Transport-Security header", null, []),
            ], CancellationToken.None);
        }

        var (page, errors) = await OpenAsync("#/vulnerabilities");
        // The daemon is shared with the other page tests, whose scans may have raised findings of their own: the search
        // narrows the table and its counts to this test's addresses.
        await page.GetByTestId("vuln-search").FillAsync("10.77.8.");
        var rows = page.GetByTestId("vuln-row");
        await Expect(rows.GetByTestId("vuln-severity")).ToHaveTextAsync(["critical", "high", "low"]);
        await Expect(rows.First.GetByTestId("vuln-title")).ToContainTextAsync("Redis without authentication");
        await Expect(rows.First).ToContainTextAsync("10.77.8.2");
        await Expect(page.GetByTestId("severity-critical-count")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("vstatus-open-count")).ToHaveTextAsync("3");
        await ShotAsync(page, "vulnerabilities");
        Assert.Empty(await SeriousAccessibilityViolationsAsync(page, "vulnerabilities"));

        await page.GetByTestId("severity-high").ClickAsync();
        await Expect(rows.GetByTestId("vuln-title")).ToContainTextAsync(["FTP allows anonymous login"]);
        await Expect(rows).ToHaveCountAsync(1);
        await page.GetByTestId("severity-high").ClickAsync();
        await page.GetByTestId("vuln-search").FillAsync("PONG");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First.GetByTestId("vuln-title")).ToContainTextAsync("Redis");

        // The detail shows evidence and remediation; accepting needs a note, then the row leaves the open list.
        await rows.First.ClickAsync();
        var detail = page.GetByTestId("vuln-detail");
        await Expect(detail.GetByTestId("vuln-evidence")).ToHaveTextAsync("PING answered +PONG without AUTH");
        await Expect(detail.GetByTestId("vuln-remediation")).ToHaveTextAsync("Set requirepass, or bind Redis to localhost.");
        Assert.Empty(await SeriousAccessibilityViolationsAsync(page, "vulnerability detail"));
        await detail.GetByTestId("vuln-accept").ClickAsync();
        await Expect(detail.GetByTestId("vuln-detail-error")).ToContainTextAsync("Say why");
        await detail.GetByTestId("vuln-note").FillAsync("Lab cache, isolated VLAN");
        await detail.GetByTestId("vuln-accept").ClickAsync();
        await Expect(detail).ToHaveCountAsync(0);
        await Expect(rows).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("vstatus-accepted-count")).ToHaveTextAsync("1");
        await page.GetByTestId("vstatus-accepted").ClickAsync();
        await Expect(rows.GetByTestId("vuln-status")).ToHaveTextAsync(["accepted"]);
        await rows.First.ClickAsync();
        await Expect(page.GetByTestId("vuln-note")).ToHaveValueAsync("Lab cache, isolated VLAN");

        var entry = await _f.Api.GetAsync("/api/audit?q=vulnerabilities");
        Assert.Contains("PATCH /api/vulnerabilities/{id:long}", entry.ToJsonString(), StringComparison.Ordinal);
        await NoScriptErrors(page, errors);
    }

    [Fact]
    public async Task TheSettingsPageSavesNotificationTargetsWithoutShowingTheSecretAndSendsATest()
    {
        var (page, errors) = await OpenAsync("#/settings");
        var panel = page.GetByTestId("notifications-panel");
        await Expect(panel).ToBeVisibleAsync();
        await panel.GetByTestId("add-webhook").ClickAsync();
        await panel.GetByTestId("webhook-url").FillAsync("http://127.0.0.1:9/outpost-ui-hook");
        await panel.GetByTestId("webhook-secret").FillAsync("ui hook secret");
        await panel.GetByTestId("add-syslog").ClickAsync();
        await panel.GetByTestId("syslog-host").FillAsync("127.0.0.1");
        await panel.GetByTestId("syslog-port").FillAsync("9");
        await panel.GetByTestId("syslog-transport").SelectOptionAsync("tcp");
        await panel.GetByTestId("notify-severity").SelectOptionAsync("medium");
        await panel.GetByTestId("save-notifications").ClickAsync();
        await Expect(page.GetByTestId("toast").Filter(new LocatorFilterOptions { HasText = "Notification settings saved" })).ToBeVisibleAsync();
        Assert.Empty(await SeriousAccessibilityViolationsAsync(page, "notifications"));

        await page.ReloadAsync();
        panel = page.GetByTestId("notifications-panel");
        await Expect(panel.GetByTestId("webhook-url")).ToHaveValueAsync("http://127.0.0.1:9/outpost-ui-hook");
        await Expect(panel.GetByTestId("webhook-secret")).ToHaveValueAsync("");
        await Expect(panel.GetByTestId("webhook-secret")).ToHaveAttributeAsync("placeholder", "Secret set (leave empty to keep)");
        await Expect(panel.GetByTestId("syslog-transport")).ToHaveValueAsync("tcp");
        await Expect(panel.GetByTestId("notify-severity")).ToHaveValueAsync("medium");
        var saved = await _f.Api.GetAsync("/api/settings/notifications");
        Assert.DoesNotContain("ui hook secret", saved.ToJsonString(), StringComparison.Ordinal);

        await panel.GetByTestId("send-test").ClickAsync();
        await Expect(page.GetByTestId("toast").Filter(new LocatorFilterOptions { HasText = "Test queued to 2 targets" })).ToBeVisibleAsync();

        // Leave no targets behind for the other tests.
        await _f.Api.PutAsync("/api/settings/notifications", new System.Text.Json.Nodes.JsonObject());
        await NoScriptErrors(page, errors);
    }
}
