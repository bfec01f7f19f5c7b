using System.Text;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>
/// Bad input of every kind on the scanner protocol gets the right 4xx in the error shape, and the store is left
/// exactly as it was (docs/lifecycle.md, "Durability"). Each case runs against a job that is running, so any accidental write would show.
/// </summary>
public sealed class BadInputTests
{
    public static TheoryData<string, string, int, string> Cases => new()
    {
        // action, body, status, code
        { "progress", "{\"progressCount\":5,\"resultCount\":1", 400, "BAD_REQUEST" },
        { "progress", "not json at all", 400, "BAD_REQUEST" },
        { "progress", "", 400, "BAD_REQUEST" },
        { "progress", "null", 400, "BAD_REQUEST" },
        { "progress", "[]", 400, "BAD_REQUEST" },
        { "progress", "{\"progressCount\":\"5\",\"resultCount\":1}", 400, "BAD_REQUEST" },
        { "progress", "{\"progressCount\":5.5,\"resultCount\":1}", 400, "BAD_REQUEST" },
        { "progress", "{\"progressCount\":true,\"resultCount\":1}", 400, "BAD_REQUEST" },
        { "progress", "{\"progressCount\":null,\"resultCount\":1}", 400, "BAD_REQUEST" },
        { "progress", "{\"resultCount\":1}", 400, "BAD_REQUEST" },
        { "progress", "{\"progressCount\":-1,\"resultCount\":1}", 400, "BAD_REQUEST" },
        { "progress", "{\"progressCount\":1,\"resultCount\":-7}", 400, "BAD_REQUEST" },
        { "progress", "{\"progressCount\":1e400,\"resultCount\":1}", 400, "BAD_REQUEST" },
        { "progress", "{\"progressCount\":99999999999999999999999,\"resultCount\":1}", 400, "BAD_REQUEST" },
        { "complete", "{\"status\":\"done\"}", 400, "BAD_REQUEST" },
        { "complete", "{\"status\":\"COMPLETED\"}", 400, "BAD_REQUEST" },
        { "complete", "{\"status\":1}", 400, "BAD_REQUEST" },
        { "complete", "{}", 400, "BAD_REQUEST" },
        { "complete", "{\"status\":\"completed\",\"resultCount\":-1}", 400, "BAD_REQUEST" },
        { "complete", "{\"status\":\"completed\",\"resultCount\":\"many\"}", 400, "BAD_REQUEST" },
        { "complete", "{\"status\":\"failed\",\"errorMessage\":42}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":{}}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":null}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":[null]}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":[{\"ip\":\"10.0.0.300\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\"}]}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":[{\"ip\":\"10.1\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\"}]}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":[{\"ip\":\"::1\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\"}]}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":[{\"ip\":\"10.0.0.1\",\"port\":0,\"proto\":\"tcp\",\"state\":\"open\"}]}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":[{\"ip\":\"10.0.0.1\",\"port\":70000,\"proto\":\"tcp\",\"state\":\"open\"}]}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":[{\"ip\":\"10.0.0.1\",\"port\":22,\"proto\":\"udp\",\"state\":\"open\"}]}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":[{\"ip\":\"10.0.0.1\",\"port\":22,\"proto\":\"tcp\",\"state\":\"filtered\"}]}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":[{\"ip\":\"10.0.0.1\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\",\"ttl\":300}]}", 400, "BAD_REQUEST" },
        { "results", "{\"results\":[{\"ip\":\"10.0.0.1\",\"port\":\"22\",\"proto\":\"tcp\",\"state\":\"open\"}]}", 400, "BAD_REQUEST" },
        // One bad item refuses the whole batch: the good one before it is not stored either.
        { "results", "{\"results\":[{\"ip\":\"10.0.0.1\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\"},{\"ip\":\"x\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\"}]}", 400, "BAD_REQUEST" },
        { "heartbeat", "{\"version\":7}", 400, "BAD_REQUEST" },
        { "heartbeat", "{\"runningJobs\":[\"a\"]}", 400, "BAD_REQUEST" },
        { "heartbeat", "{\"version\":\"" + new string('v', 65) + "\"}", 400, "BAD_REQUEST" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_bodies_get_the_right_4xx_and_change_nothing(string action, string body, int status, string code)
    {
        await using var daemon = await Daemon.StartAsync();
        var (key, jobId) = await RunningJobAsync(daemon);
        var before = await SnapshotWithResultsAsync(daemon);
        var path = action == "heartbeat" ? "/scanner/heartbeat" : $"/scanner/jobs/{jobId}/{action}";

        (await daemon.Api.ScannerAsync(key, HttpMethod.Post, path, body)).AssertError(status, code);

        Assert.Equal(before, await SnapshotWithResultsAsync(daemon));
    }

    [Theory]
    [InlineData("progress")]
    [InlineData("results")]
    [InlineData("complete")]
    public async Task Bodies_over_one_MiB_are_413_and_change_nothing(string action)
    {
        await using var daemon = await Daemon.StartAsync();
        var (key, jobId) = await RunningJobAsync(daemon);
        var before = await SnapshotWithResultsAsync(daemon);
        // Valid JSON, just too big: the limit, not the parser, must refuse it.
        var padding = new string(' ', 1024 * 1024);
        var body = "{\"progressCount\":1,\"resultCount\":1,\"status\":\"completed\",\"results\":[]" + padding + "}";

        // Expect: 100-continue, as an HTTP client should send a large body: the daemon refuses it from the
        // Content-Length alone, and the client never has to push a megabyte into a connection being closed.
        var reply = await daemon.Api.SendAsync(HttpMethod.Post, $"/scanner/jobs/{jobId}/{action}", body, r =>
        {
            r.Headers.Add("X-API-Key", key);
            r.Headers.ExpectContinue = true;
        });

        reply.AssertError(413, "PAYLOAD_TOO_LARGE");
        Assert.Equal(before, await SnapshotWithResultsAsync(daemon));
    }

    [Fact]
    public async Task A_body_of_exactly_one_MiB_is_accepted()
    {
        await using var daemon = await Daemon.StartAsync();
        var (key, jobId) = await RunningJobAsync(daemon);
        const string Json = "{\"progressCount\":1,\"resultCount\":1}";
        var body = Json + new string(' ', 1024 * 1024 - Json.Length);

        (await daemon.Api.ScannerAsync(key, HttpMethod.Post, $"/scanner/jobs/{jobId}/progress", body)).AssertOk();
    }

    [Fact]
    public async Task A_body_that_is_not_declared_as_json_is_refused_with_415()
    {
        await using var daemon = await Daemon.StartAsync();
        var (key, jobId) = await RunningJobAsync(daemon);
        var before = await SnapshotWithResultsAsync(daemon);

        var reply = await daemon.Api.SendAsync(HttpMethod.Post, $"/scanner/jobs/{jobId}/progress", null, r =>
        {
            r.Headers.Add("X-API-Key", key);
            r.Content = new StringContent("progressCount=1", Encoding.UTF8, "application/x-www-form-urlencoded");
        });

        reply.AssertError(415, "UNSUPPORTED_MEDIA_TYPE");
        Assert.Equal(before, await SnapshotWithResultsAsync(daemon));
    }

    private static async Task<(string Key, long JobId)> RunningJobAsync(Daemon daemon)
    {
        var (id, key) = await daemon.Api.CreateScannerAsync("s1");
        await daemon.Api.CreateScanAsync(["10.0.0.0/24"], [id]);
        var jobId = Api.JobIds(await daemon.Api.ClaimAsync(key))[0];
        (await daemon.Api.ScannerAsync(key, HttpMethod.Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        (await daemon.Api.ScannerAsync(key, HttpMethod.Post, $"/scanner/jobs/{jobId}/progress", new { progressCount = 3, resultCount = 1 })).AssertOk();
        return (key, jobId);
    }

    private static async Task<string> SnapshotWithResultsAsync(Daemon daemon) =>
        await daemon.Api.SnapshotAsync() + (await daemon.Api.AdminAsync(HttpMethod.Get, "/api/scans/1/results")).AssertOk().Body;
}
