// Orchestration of one scan, and the engine's public entry point. Not a hot path: it sets up, starts the receive
// loop and the send loops (one per send thread) on their own threads, waits, and tears down.
//
// Order matters for correctness: the capture handle is activated (and its kernel filter installed) before the
// first probe leaves, so no early reply can be missed; the receive loop is stopped with pcap_breakloop only after
// the last probe plus the configured wait, so the scan ends on time even if the network stays silent.

using System.Security.Cryptography;
using Outpost.Probe.Capture;
using Outpost.Probe.Packets;
using Outpost.Probe.Permutation;
using Outpost.Probe.Routing;
using Outpost.Probe.Throttle;

namespace Outpost.Probe.Engine;

/// <summary>
/// Runs SYN scans. One instance can run many scans, one after another or concurrently (each scan has its own
/// device, loops and state). The default constructor uses libpcap, the kernel's routing tables and the system clock.
/// </summary>
public sealed class ProbeScanner
{
    private readonly IPacketDeviceFactory _devices;
    private readonly IRouteResolver _routes;
    private readonly TimeProvider _time;
    private readonly ISleeper _sleeper;

    /// <summary>A scanner on the real network (needs CAP_NET_RAW).</summary>
    public ProbeScanner()
        : this(new PcapDeviceFactory(), new KernelRouteResolver(), TimeProvider.System, SystemSleeper.Instance)
    {
    }

    /// <summary>A scanner with every OS dependency supplied (tests, simulations).</summary>
    public ProbeScanner(IPacketDeviceFactory devices, IRouteResolver routes, TimeProvider time, ISleeper sleeper)
    {
        _devices = devices ?? throw new ArgumentNullException(nameof(devices));
        _routes = routes ?? throw new ArgumentNullException(nameof(routes));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _sleeper = sleeper ?? throw new ArgumentNullException(nameof(sleeper));
    }

    /// <summary>
    /// Scans <paramref name="request"/>'s targets. Each new finding is passed to <paramref name="observer"/> as it
    /// arrives; progress is reported every <see cref="ScanRequest.ProgressInterval"/> and once at the end.
    /// Cancelling stops sending at once, skips the wait and returns a summary with <see cref="ScanSummary.Cancelled"/>
    /// set (it does not throw). Throws <see cref="ArgumentException"/> for an invalid request,
    /// <see cref="RouteException"/> when the targets are unreachable and <see cref="PacketDeviceException"/> when
    /// raw packet access fails (see <see cref="PacketDeviceException.PermissionDenied"/>).
    /// </summary>
    public async Task<ScanSummary> RunAsync(ScanRequest request, IScanObserver observer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(observer);
        if (request.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(request));
        }

        var started = _time.GetTimestamp();
        var firstTarget = new Ipv4H(request.Targets.Ranges[0].First);
        var route = await _routes.ResolveAsync(firstTarget, request.Interface, cancellationToken).ConfigureAwait(false);
        var neighbours = route.OnLink && request.Targets.HostCount > 1
            ? await _routes.ResolveNeighboursAsync(route, Hosts(request), cancellationToken).ConfigureAwait(false)
            : null;

        var cookie = SynCookie.CreateRandom();
        var seed = request.Seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        var order = new FeistelPermutation(request.Targets.Count, seed);
        var template = new SynTemplate(route.SourceMac, route.NextHopMac, route.SourceAddress);
        var matcher = new ReplyMatcher(request, cookie, route.SourceAddress, observer);

        using var device = _devices.Open(new DeviceRequest(route.Interface, route.SourceAddress, request.FirstSourcePort, request.LastSourcePort));
        if (route.Warning is not null)
        {
            observer.OnWarning(route.Warning);
        }

        if (neighbours is not null && (ulong)neighbours.Count < request.Targets.HostCount)
        {
            observer.OnWarning($"{request.Targets.HostCount - (ulong)neighbours.Count} of {request.Targets.HostCount} hosts on {route.Interface} did not answer ARP; they are not probed.");
        }

        // One send loop per thread; they share the throttle (so the rate is the scan's, however the OS schedules
        // the threads) and the cursor (so they finish together).
        var threads = (int)Math.Min((ulong)SendThreadsFor(request), request.Targets.Count);
        var throttle = new ProbeThrottle(request.ProbesPerSecond, _time, _sleeper);
        var cursor = new ProbeCursor(request.Targets.Count, request.Sends, request.ResumeFrom);
        var senders = new List<IFrameSender>(threads);
        var loops = new SendLoop[threads];
        for (var t = 0; t < threads; t++)
        {
            try
            {
                senders.Add(device.CreateSender());
            }
            catch
            {
                senders.ForEach(s => s.Dispose());
                throw;
            }

            loops[t] = new SendLoop(request, order, cursor, template, cookie, throttle, senders[t], neighbours, _time);
        }

        var total = (long)request.Targets.Count * request.Sends;
        long Sent() => loops.Sum(l => l.Sent);

        Exception? receiveFailure = null;
        var receiver = new Thread(() =>
        {
            try
            {
                device.Receive(matcher);
            }
            catch (Exception ex)
            {
                receiveFailure = ex;
            }
        })
        {
            IsBackground = true,
            Name = "outpost-probe receive",
        };
        receiver.Start();

        // A scan that ran to its end waited for its last replies: then everything is settled.
        var settled = new SettledCursor(request.Wait, request.ResumeFrom, _time);
        ScanProgress Snapshot(bool allSettled = false) =>
            new(Sent(), total, matcher.Replies, matcher.Open + matcher.Closed, _time.GetElapsedTime(started),
                (long)(allSettled ? cursor.End : settled.Observe(SendLoop.SentBelow(cursor, loops))));
        using var progressTimer = _time.CreateTimer(_ => observer.OnProgress(Snapshot()), null, request.ProgressInterval, request.ProgressInterval);

        var completed = false;
        try
        {
            var finished = await Task.WhenAll(loops.Select((loop, t) => RunOnThreadAsync(() => loop.Run(cancellationToken), $"outpost-probe send {t}"))).ConfigureAwait(false);
            completed = finished.All(done => done);
            if (completed && request.Wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(request.Wait, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    completed = false;
                }
            }

            device.StopReceiving();
            await JoinAsync(receiver).ConfigureAwait(false);
            progressTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            if (receiveFailure is not null)
            {
                throw new PacketDeviceException("The capture loop failed.", receiveFailure);
            }

            var stats = device.ReadStatistics();
            if (stats.Dropped > 0)
            {
                observer.OnWarning($"libpcap dropped {stats.Dropped} captured frames (capture buffer full); results may be incomplete — lower the rate.");
            }

            observer.OnProgress(Snapshot(allSettled: completed));
            return new ScanSummary
            {
                Sent = Sent(),
                SendErrors = loops.Sum(l => l.Errors),
                Unreachable = loops.Sum(l => l.Unreachable),
                Excluded = loops.Sum(l => l.Excluded),
                Replies = matcher.Replies,
                Open = matcher.Open,
                Closed = matcher.Closed,
                Drops = stats.Dropped,
                SendElapsed = loops.Max(l => l.Elapsed),
                Elapsed = _time.GetElapsedTime(started),
                Cancelled = !completed,
                Interface = route.Interface,
            };
        }
        finally
        {
            // On an exception path the receiver may still be blocked in libpcap: stop it before the device closes.
            device.StopReceiving();
            receiver.Join();
            foreach (var sender in senders)
            {
                sender.Dispose();
            }
        }
    }

    private static IEnumerable<Ipv4H> Hosts(ScanRequest request)
    {
        foreach (var range in request.Targets.Ranges)
        {
            for (ulong i = 0; i < range.Count; i++)
            {
                yield return new Ipv4H(range.AddressAt(i));
            }
        }
    }

    // One thread sends 100-200k probes/s on a typical core (most of the cost is the kernel's path through the driver),
    // so only fast or unlimited scans fan out, one thread per core up to 4.
    private static int SendThreadsFor(ScanRequest request) =>
        request.SendThreads > 0 ? request.SendThreads
        : request.ProbesPerSecond <= 0 || request.ProbesPerSecond > 50_000 ? Math.Clamp(Environment.ProcessorCount, 1, 4)
        : 1;

    // The send loop is synchronous (it sleeps between batches); it gets a dedicated thread rather than a pool thread.
    private static Task<bool> RunOnThreadAsync(Func<bool> body, string name)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(body());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    private static Task JoinAsync(Thread thread) => Task.Run(thread.Join);
}
