using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;
using Outpost.Store.Records.Inventory;

namespace Outpost.Appliance.Inventory;

/// <summary>
/// Reverse DNS for the inventory (docs/inventory.md, "Hostnames"): a loop of its own, so processing never waits on a
/// resolver. Each tick looks up the addresses that are due (new ones, then those looked up longer ago than
/// <c>RefreshAfter</c>), a batch at a time, through the system resolver (<see cref="Dns.GetHostEntryAsync(IPAddress)"/>:
/// /etc/hosts, then DNS), at most <c>Concurrency</c> at once, each given up after <c>Timeout</c>. An answer replaces the
/// names the last one gave; a lookup that fails or times out keeps them; nothing it does can fail processing or the
/// daemon. Off with <c>Outpost:Inventory:ReverseDns:Enabled=false</c> (a resolver that hangs, an air-gapped network).
/// </summary>
public sealed partial class ReverseDnsLookups(StoreLifetime storeLifetime, IOptions<OutpostOptions> options, TimeProvider clock,
    IHostApplicationLifetime lifetime, ILogger<ReverseDnsLookups> logger)
    : LoopService(BackgroundLoop.ReverseDns, TimeProvider.System, lifetime, logger)
{
    /// <summary>Addresses looked up per batch (one read, one write transaction).</summary>
    public const int BatchSize = 256;

    private readonly ReverseDnsOptions _options = options.Value.Inventory.ReverseDns;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger _logger = logger;

    // A slot is held until the resolver returns, not only until the timeout: a resolver that hangs ties up at most
    // Concurrency of its threads, however many lookups are given up on.
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.Inventory.ReverseDns.Concurrency));

    protected override TimeSpan? Period => _options.Enabled ? _options.Interval : null;

    protected override async ValueTask TickAsync(CancellationToken ct)
    {
        // A backlog (an upgrade, a large new range) is worked off batch after batch, not one batch per period.
        while (await LookUpDueAsync(ct) == BatchSize)
        {
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Looks up one batch of the addresses that are due and records the names; returns how many (none when turned off).</summary>
    public async Task<int> LookUpDueAsync(CancellationToken ct = default)
    {
        if (!_options.Enabled) return 0;
        var names = new ReverseDnsNames(storeLifetime.Records);
        var now = _clock.GetUtcNow();
        var due = await names.DueAsync(now - _options.RefreshAfter, BatchSize, ct);
        if (due.Count == 0) return 0;
        var found = new (string Ip, IReadOnlyList<string>? Names)[due.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, due.Count), new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = ct },
            async (i, token) => found[i] = (due[i], await LookUpAsync(due[i], token)));
        await names.RecordAsync(found, now, ct);
        var named = found.Count(f => f.Names is { Count: > 0 });
        LogLookedUp(_logger, due.Count, named);
        return due.Count;
    }

    /// <summary>
    /// The names the resolver gives for <paramref name="ip"/>, none when it says the address has none; null when it
    /// fails or does not answer in time, which says nothing about the names the address had.
    /// </summary>
    private async Task<IReadOnlyList<string>?> LookUpAsync(string ip, CancellationToken ct)
    {
        if (!await _slots.WaitAsync(_options.Timeout, ct)) return null;
        var lookup = Dns.GetHostEntryAsync(IPAddress.Parse(ip));
        _ = lookup.ContinueWith(done =>
        {
            // Reading the exception observes it: a lookup given up on that fails later is no unobserved task exception.
            _ = done.Exception;
            _slots.Release();
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        try
        {
            return Names(await lookup.WaitAsync(_options.Timeout, ct));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData)
        {
            return [];
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>DNS names only: lower case, without the root's dot; an address the resolver echoes back is no name.</summary>
    private static List<string> Names(IPHostEntry entry) =>
        [.. entry.Aliases.Prepend(entry.HostName).Select(n => n.TrimEnd('.').ToLowerInvariant())
            .Where(n => n.Length is > 0 and <= 253 && !n.Contains(' ', StringComparison.Ordinal) && !IPAddress.TryParse(n, out _)).Distinct(StringComparer.Ordinal)];

    [LoggerMessage(Level = LogLevel.Debug, Message = "reverse DNS: looked up {Count} addresses, {Named} had names")]
    private static partial void LogLookedUp(ILogger logger, int count, int named);
}
