using Outpost.Appliance.Scheduling;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests.Accounts;

/// <summary>The audit log: what goes in, search and paging, CSV export, append-only, durable across a restart, retention.</summary>
public sealed class AuditTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;

    [Fact]
    public async Task State_changes_sign_ins_and_refusals_are_recorded_with_who_what_and_outcome()
    {
        var daemon = await Daemon.StartAsync();
        try
        {
            var api = daemon.Api;
            var token = await api.UserTokenAsync("vic", "viewer");
            (await api.AdminAsync(Post, "/api/scheduler/pause")).AssertOk();
            (await api.WithTokenAsync(token, Post, "/api/scheduler/resume")).AssertError(403, "FORBIDDEN");
            (await api.SendAsync(Post, "/api/session", new { username = "vic", password = "not the password" })).AssertError(401, "UNAUTHORIZED");
            (await api.AdminAsync(Get, "/api/scans")).AssertOk(); // reads are not audited

            var entries = (await api.AdminAsync(Get, "/api/audit")).AssertOk().Json.GetProperty("entries").EnumerateArray().ToList();
            Assert.DoesNotContain(entries, e => e.GetProperty("action").GetString()!.StartsWith("GET ", StringComparison.Ordinal));
            var failedSignIn = entries[0];
            Assert.Equal("POST /api/session", failedSignIn.GetProperty("action").GetString());
            Assert.Equal("vic", failedSignIn.GetProperty("user").GetString());
            Assert.Equal(401, failedSignIn.GetProperty("status").GetInt32());
            Assert.Equal("refused", failedSignIn.GetProperty("outcome").GetString());
            Assert.Equal("127.0.0.1", failedSignIn.GetProperty("sourceIp").GetString());

            var refused = entries[1];
            Assert.Equal("POST /api/scheduler/resume", refused.GetProperty("action").GetString());
            Assert.Equal(("vic", "viewer", 403), (refused.GetProperty("user").GetString(), refused.GetProperty("role").GetString(),
                refused.GetProperty("status").GetInt32()));

            var paused = entries[2];
            Assert.Equal("POST /api/scheduler/pause", paused.GetProperty("action").GetString());
            Assert.Equal("admin (admin token)", paused.GetProperty("user").GetString());
            Assert.Equal("ok", paused.GetProperty("outcome").GetString());
            Assert.Equal(daemon.Clock.GetUtcNow(), paused.GetProperty("at").GetDateTimeOffset());

            // The user's creation names its target; the sign-in that made the token says who signed in.
            Assert.Contains(entries, e => e.GetProperty("action").GetString() == "POST /api/users" && e.GetProperty("target").GetString() == "username=vic"
                && e.GetProperty("status").GetInt32() == 201);
            Assert.Contains(entries, e => e.GetProperty("action").GetString() == "POST /api/session" && e.GetProperty("status").GetInt32() == 204
                && e.GetProperty("user").GetString() == "vic" && e.GetProperty("role").GetString() == "viewer");

            // Search, then page through everything one entry at a time with the cursor.
            var search = (await api.AdminAsync(Get, "/api/audit?q=RESUME")).AssertOk().Json.GetProperty("entries");
            Assert.Equal("POST /api/scheduler/resume", Assert.Single(search.EnumerateArray()).GetProperty("action").GetString());
            var seen = new List<long>();
            string? cursor = null;
            do
            {
                var page = (await api.AdminAsync(Get, "/api/audit?limit=1" + (cursor is null ? "" : "&cursor=" + cursor))).AssertOk().Json;
                seen.AddRange(page.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()));
                cursor = page.GetProperty("nextCursor").GetString();
            }
            while (cursor is not null);
            Assert.Equal(entries.Select(e => e.GetProperty("id").GetInt64()), seen);
            (await api.AdminAsync(Get, "/api/audit?limit=0")).AssertError(400, "BAD_REQUEST");
            (await api.AdminAsync(Get, "/api/audit?cursor=abc")).AssertError(400, "BAD_REQUEST");

            // CSV export: a header and one row per entry, newest first.
            var csv = (await api.AdminAsync(Get, "/api/audit?format=csv")).AssertOk();
            Assert.Equal("text/csv", csv.ContentHeaders!.ContentType!.MediaType);
            var lines = csv.Body.TrimEnd('\n').Split('\n');
            Assert.Equal("id,time,user,role,source_ip,action,target,status,outcome", lines[0]);
            Assert.Equal(entries.Count + 1, lines.Length);
            Assert.EndsWith(",POST /api/session,,401,refused", lines[1], StringComparison.Ordinal);

            // Append-only: there is no way to change or remove an entry through the API.
            (await api.AdminAsync(HttpMethod.Delete, "/api/audit")).AssertError(405, "METHOD_NOT_ALLOWED");
            (await api.AdminAsync(HttpMethod.Put, "/api/audit", new { })).AssertError(405, "METHOD_NOT_ALLOWED");
            (await api.AdminAsync(HttpMethod.Delete, $"/api/audit/{entries[0].GetProperty("id").GetInt64()}")).AssertError(404, "NOT_FOUND");
            (await api.WithTokenAsync(token, Get, "/api/audit")).AssertError(403, "FORBIDDEN");

            // Every acknowledged entry is still there after a restart.
            var before = (await api.AdminAsync(Get, "/api/audit?format=csv")).Body;
            daemon = await daemon.RestartAsync();
            var after = (await daemon.Api.AdminAsync(Get, "/api/audit?format=csv")).Body;
            Assert.StartsWith(string.Join('\n', before.TrimEnd('\n').Split('\n').Skip(1)), string.Join('\n', after.TrimEnd('\n').Split('\n').Skip(1)),
                StringComparison.Ordinal);
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }

    [Fact]
    public async Task Retention_removes_entries_older_than_the_configured_age()
    {
        await using var daemon = await Daemon.StartAsync(new Dictionary<string, string?> { ["Outpost:Audit:MaxAge"] = "10.00:00:00" });
        var api = daemon.Api;
        (await api.AdminAsync(Post, "/api/scheduler/pause")).AssertOk();
        daemon.Clock.Advance(TimeSpan.FromDays(9));
        (await api.AdminAsync(Post, "/api/scheduler/resume")).AssertOk();
        daemon.Clock.Advance(TimeSpan.FromDays(2));

        await daemon.Service<Retention>().PruneAsync();

        var left = (await api.AdminAsync(Get, "/api/audit")).AssertOk().Json.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal("POST /api/scheduler/resume", Assert.Single(left).GetProperty("action").GetString());
    }
}
