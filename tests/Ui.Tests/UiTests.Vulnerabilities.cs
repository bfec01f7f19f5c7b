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
        var rows = page.GetByTestId("vuln-row");
        await Expect(rows.GetByTestId("vuln-severity")).ToHaveTextAsync(["critical", "high", "low"]);
        await Expect(rows.First.GetByTestId("vuln-title")).ToContainTextAsync("Redis without authentication");
        await Expect(rows.First).ToContainTextAsync("10.77.8.2");
        await Expect(page.GetByTestId("severity-critical-count")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("vstatus-open-count")).ToHaveTextAsync("3");
        await ShotAsync(page, "vulnerabilities");

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
}
