using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.EndToEnd.Tests.Infrastructure;

/// <summary>What the end-to-end tests ask the admin API, polled against deadlines (the only waiting they do).</summary>
public static class Scans
{
    /// <summary>Polls <c>GET /api/scans/{id}</c> until <paramref name="done"/> holds; fails with the last state and the logs otherwise.</summary>
    public static async Task<JsonElement> WaitAsync(Api api, long scanId, Func<JsonElement, bool> done, TimeSpan timeout, Func<string> logs)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement scan = default;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                scan = await api.ScanAsync(scanId);
                if (done(scan))
                {
                    return scan;
                }
            }
            catch (HttpRequestException)
            {
                // The daemon is restarting in the crash test; keep polling until the deadline.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"scan {scanId} did not get there in {timeout.TotalSeconds:0} s; last seen: {scan}\n{logs()}");
    }

    /// <summary>Waits until the built-in scanner (<c>local</c>) is online with every one of <paramref name="capabilities"/>; returns its id.</summary>
    public static async Task<long> WaitForLocalScannerAsync(Api api, Func<string> logs, params string[] capabilities)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var local = (await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json.GetProperty("scanners").EnumerateArray()
                .SingleOrDefault(s => s.GetProperty("name").GetString() == "local");
            if (local.ValueKind != JsonValueKind.Undefined && local.GetProperty("online").GetBoolean()
                && capabilities.All(c => local.GetProperty("capabilities").EnumerateArray().Any(a => a.GetProperty("name").GetString() == c)))
            {
                return local.GetProperty("id").GetInt64();
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("the built-in scanner did not come online with " + string.Join(", ", capabilities) + ":\n" + logs());
    }

    public static bool Is(JsonElement scan, string status) => scan.GetProperty("status").GetString() == status;

    /// <summary>
    /// Probing is over and its results are in the inventory: neither running nor processing (docs/lifecycle.md), so
    /// the status is the scan's outcome.
    /// </summary>
    public static bool Ended(JsonElement scan) => !Is(scan, "running") && !Is(scan, "processing");

    /// <summary>The scan's findings as sorted "ip:port", after checking they are all open TCP ports.</summary>
    public static async Task<IReadOnlyList<string>> OpenPortsAsync(Api api, long scanId)
    {
        var results = (await api.AdminAsync(HttpMethod.Get, $"/api/scans/{scanId}/results")).AssertOk().Json.GetProperty("results");
        var found = new List<string>();
        foreach (var finding in results.EnumerateArray())
        {
            Assert.Equal("tcp", finding.GetProperty("proto").GetString());
            Assert.Equal("open", finding.GetProperty("state").GetString());
            found.Add($"{finding.GetProperty("ip").GetString()}:{finding.GetProperty("port").GetInt32()}");
        }

        found.Sort(StringComparer.Ordinal);
        return found;
    }

    /// <summary>Asserts the per-status job counts: every job completed, and they add up to the scan's jobs.</summary>
    public static void AssertAllJobsCompleted(JsonElement scan)
    {
        var counts = scan.GetProperty("jobCounts");
        var completed = counts.GetProperty("completed").GetInt64();
        Assert.True(completed >= 1, scan.ToString());
        foreach (var status in new[] { "queued", "claimed", "running", "failed", "cancelled" })
        {
            Assert.True(counts.GetProperty(status).GetInt64() == 0, $"{status} jobs in {scan}");
        }
    }

    /// <summary>A loopback port nobody listens on now, for a daemon that must come back on the same address.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static JsonElement Scanner(JsonElement list, long id) =>
        list.GetProperty("scanners").EnumerateArray().Single(s => s.GetProperty("id").GetInt64() == id);
}
