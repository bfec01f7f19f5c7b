using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Outpost.Probe.Capabilities.Crawler;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Jobs;

namespace Outpost.EndToEnd.Tests.Capabilities;

/// <summary>
/// A job's <c>maxConnectionsPerHost</c> (docs/capabilities.md) is what the connection-based capabilities keep open to one
/// address at once: counted where it shows, at the listeners of one loopback address.
/// </summary>
public sealed class ConnectionsPerHostTests
{
    private const int Ports = 8;

    [Fact]
    public async Task Fingerprint_keeps_at_most_the_jobs_connections_open_to_one_address()
    {
        // Not the default (2): the job's value is what holds.
        const int PerHost = 3;
        await using var host = await CountingHost.StartAsync(Ports);
        var job = new JobAssignment(1, 1, FingerprintCapability.JobName,
            [new JobTargetSpec("127.0.0.1", string.Join(',', host.Ports.Select(p => p.ToString(CultureInfo.InvariantCulture))))], 1000)
        {
            MaxConnectionsPerHost = PerHost,
        };

        var outcome = await new FingerprintCapability(null, TimeProvider.System).RunAsync(job, new CollectingReport(), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(120));

        Assert.True(outcome.Finished, outcome.Failure);
        Assert.True(host.Accepted >= Ports, $"only {host.Accepted} connections for {Ports} ports");
        // Eight silent ports and a free rate: the capability has every reason to open more, so the limit is what holds it.
        Assert.Equal(PerHost, host.MostOpenAtOnce);
    }

    [Fact]
    public async Task The_crawler_keeps_at_most_the_jobs_connections_open_to_one_address()
    {
        await using var host = await CountingHost.StartAsync(Ports);
        var job = new JobAssignment(1, 1, CrawlerCapability.JobName,
            [new JobTargetSpec("127.0.0.1", string.Join(',', host.Ports.Select(p => p.ToString(CultureInfo.InvariantCulture))))], 1000)
        {
            MaxConnectionsPerHost = 2,
        };

        await new CrawlerCapability(null, TimeProvider.System).RunAsync(job, new CollectingReport(), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(120));

        Assert.True(host.Accepted >= Ports, $"only {host.Accepted} connections for {Ports} ports");
        Assert.Equal(2, host.MostOpenAtOnce);
    }

    /// <summary>
    /// Listeners on 127.0.0.1 that accept, say nothing, and close each connection after a while; they count how many
    /// are open at once. The server closes first and counts the close before it, so a client's next connection can
    /// never be counted while its previous one still is.
    /// </summary>
    private sealed class CountingHost : IAsyncDisposable
    {
        private static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(250);

        private readonly List<TcpListener> _listeners;
        private readonly List<Task> _loops = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Lock _lock = new();
        private int _open;
        private int _most;
        private int _accepted;

        private CountingHost(List<TcpListener> listeners) => _listeners = listeners;

        public IEnumerable<int> Ports => _listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port);

        public int MostOpenAtOnce
        {
            get { lock (_lock) { return _most; } }
        }

        public int Accepted
        {
            get { lock (_lock) { return _accepted; } }
        }

        public static Task<CountingHost> StartAsync(int ports)
        {
            var listeners = Enumerable.Range(0, ports).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
            listeners.ForEach(l => l.Start());
            var host = new CountingHost(listeners);
            foreach (var listener in listeners)
            {
                host._loops.Add(host.AcceptAsync(listener));
            }

            return Task.FromResult(host);
        }

        private async Task AcceptAsync(TcpListener listener)
        {
            var held = new List<Task>();
            try
            {
                while (true)
                {
                    var client = await listener.AcceptTcpClientAsync(_stop.Token);
                    lock (_lock)
                    {
                        _accepted++;
                        _open++;
                        _most = Math.Max(_most, _open);
                    }

                    held.Add(HoldAsync(client));
                }
            }
            catch (OperationCanceledException)
            {
            }

            await Task.WhenAll(held);
        }

        private async Task HoldAsync(TcpClient client)
        {
            try
            {
                await Task.Delay(Hold, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                lock (_lock)
                {
                    _open--;
                }

                client.Dispose();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listeners.ForEach(l => l.Stop());
            await Task.WhenAll(_loops);
            _stop.Dispose();
        }
    }
}
