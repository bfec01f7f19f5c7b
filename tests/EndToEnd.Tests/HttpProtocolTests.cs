using System.Net;
using System.Text;
using Outpost.EndToEnd.Tests.Infrastructure;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;

namespace Outpost.EndToEnd.Tests;

/// <summary>What the node puts on the wire and how it reads refusals, against a stand-in appliance on loopback.</summary>
public sealed class HttpProtocolTests
{
    [Fact]
    public async Task Every_call_carries_the_key_the_attribution_header_and_the_user_agent()
    {
        using var appliance = new StubAppliance(200, """{"ok":true,"serverTime":"2026-11-21T00:00:00Z","stopJobs":[5]}""");
        using var protocol = new HttpScannerProtocol(appliance.Address, "osk_key", attribution: "Example Corp scanning; abuse@example.test");

        Assert.Equal([5L], await protocol.HeartbeatAsync([5], CapabilityRegistry.Create(new CapabilitySettings()).Available(), CancellationToken.None));

        var request = await appliance.Requests.Task;
        Assert.Equal("/scanner/heartbeat", request.Url!.AbsolutePath);
        Assert.Equal("osk_key", request.Headers["X-API-Key"]);
        Assert.Equal("Example Corp scanning; abuse@example.test", request.Headers[HttpScannerProtocol.AttributionHeader]);
        Assert.Matches(@"^outpost-probe/\d+\.\d+\.\d+ \(Example Corp scanning; abuse@example\.test\)$", request.UserAgent);
    }

    [Fact]
    public async Task A_refused_key_is_a_transient_credentials_failure_and_a_lost_job_is_gone()
    {
        using (var refusing = new StubAppliance(401, """{"error":{"code":"UNAUTHORIZED","message":"no such key"}}"""))
        using (var protocol = new HttpScannerProtocol(refusing.Address, "osk_key"))
        {
            var ex = await Assert.ThrowsAsync<ScannerProtocolException>(async () => await protocol.ClaimAsync(1, CancellationToken.None));
            Assert.True(ex.Transient && ex.CredentialsRefused, ex.Message);
            Assert.Contains("UNAUTHORIZED", ex.Message, StringComparison.Ordinal);
        }

        using var gone = new StubAppliance(409, """{"error":{"code":"INVALID_TRANSITION","message":"no"}}""");
        using var client = new HttpScannerProtocol(gone.Address, "osk_key");
        Assert.Equal(JobReply.Gone, (await client.ProgressAsync(3, 1, 0, 0, CancellationToken.None)).Reply);
    }

    /// <summary>Answers the first request with a fixed status and body, and hands the request to the test.</summary>
    private sealed class StubAppliance : IDisposable
    {
        private readonly HttpListener _listener = new();

        public StubAppliance(int status, string body)
        {
            Address = new Uri($"http://127.0.0.1:{Scans.FreePort()}/");
            _listener.Prefixes.Add(Address.ToString());
            _listener.Start();
            _ = Task.Run(async () =>
            {
                var context = await _listener.GetContextAsync();
                Requests.TrySetResult(context.Request);
                context.Response.StatusCode = status;
                context.Response.ContentType = "application/json";
                var bytes = Encoding.UTF8.GetBytes(body);
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            });
        }

        public Uri Address { get; }

        public TaskCompletionSource<HttpListenerRequest> Requests { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Dispose() => _listener.Close();
    }
}
