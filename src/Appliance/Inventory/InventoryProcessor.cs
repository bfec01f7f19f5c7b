using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;
using Outpost.Store.Model;
using Outpost.Store.Records.Inventory;

namespace Outpost.Appliance.Inventory;

/// <summary>
/// The processing loop (docs/inventory.md, "Processing"): each tick takes the scans whose probing ended (the job
/// store holds their final status) and that the inventory has not processed for that finish, oldest finish first,
/// and processes each to the end: slice by slice (each slice commits with its cursor, so a crash resumes after the
/// last one), then the change summary, then the listeners. Leader-only: one node processes. A small scan is also
/// processed as the job that finished it is acknowledged (<see cref="AfterJobEndedAsync"/>), so the answer to the
/// scanner, and the next look at the scan, already show its final status.
/// The loop's period runs on the system clock, not the appliance's: processing depends on no time of day, only on
/// looking again soon.
/// </summary>
public sealed partial class InventoryProcessor(StoreLifetime storeLifetime, IEnumerable<IScanProcessedListener> listeners, IOptions<OutpostOptions> options,
    IHostApplicationLifetime lifetime, ILogger<InventoryProcessor> logger)
    : LoopService(BackgroundLoop.InventoryProcessing, TimeProvider.System, lifetime, logger)
{
    /// <summary>Scans with up to this many results are processed as their last job ends; larger ones by the loop.</summary>
    public const long InlineResults = 10_000;

    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly InventoryOptions _options = options.Value.Inventory;
    private readonly ILogger _logger = logger;
    private readonly IScanProcessedListener[] _listeners = [.. listeners];
    private int _slices;

    protected override TimeSpan? Period => _options.ProcessingInterval;

    protected override async ValueTask TickAsync(CancellationToken ct) => await ProcessPendingAsync(ct);

    /// <summary>
    /// Called after a job ended: when that finished a small scan, processes it now (and anything else pending). When
    /// the loop is busy this returns at once and the loop picks the scan up.
    /// </summary>
    public async Task AfterJobEndedAsync(long scanId, CancellationToken ct = default)
    {
        if (storeLifetime.Store.GetScan(scanId) is not { } scan || !scan.Status.IsFinished() || scan.ResultCount > InlineResults) return;
        await TryProcessNowAsync(ct);
    }

    /// <summary>Processes what is pending now, unless processing is already under way (which then picks it up).</summary>
    public async Task TryProcessNowAsync(CancellationToken ct = default)
    {
        if (!await _running.WaitAsync(0, ct)) return;
        try
        {
            await ProcessAllAsync(ct);
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>Processes every scan that needs it; returns how many scans reached the end of their processing.</summary>
    public async Task<int> ProcessPendingAsync(CancellationToken ct = default)
    {
        await _running.WaitAsync(ct);
        try
        {
            return await ProcessAllAsync(ct);
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<int> ProcessAllAsync(CancellationToken ct)
    {
        var store = storeLifetime.Store;
        var processing = new InventoryProcessing(storeLifetime.Records);
        var states = await processing.ListAsync(ct);
        var done = 0;
        // A scan without jobs (a scheduled scan stopped before it ran) saw nothing and is no run to compare against.
        foreach (var scan in store.ListScans().Where(s => s.Status.IsFinished() && s.FinishedAt is not null && s.Jobs.Total > 0)
                     .OrderBy(s => s.FinishedAt).ThenBy(s => s.Id))
        {
            var finished = scan.FinishedAt!.Value;
            if (states.TryGetValue(scan.Id, out var known) && known.Covers(finished) && known.Phase == ProcessingPhase.Notified) continue;
            if (!await ProcessAsync(processing, scan, ct)) return done;
            done++;
        }

        return done;
    }

    /// <summary>Processes one scan to the end; false when the test hook paused processing.</summary>
    private async Task<bool> ProcessAsync(InventoryProcessing processing, Scan scan, CancellationToken ct)
    {
        var state = await processing.BeginAsync(scan.Id, InventoryProcessing.RunKey(scan.Spec), scan.FinishedAt!.Value, ct);
        if (state.Phase == ProcessingPhase.Folding) LogProcessing(_logger, scan.Id, state.Processed, state.Total);
        while (state.Phase == ProcessingPhase.Folding)
        {
            if (_options.PauseAfterSlices is { } pause && _slices >= pause) return false;
            state = await processing.FoldAsync(state, _options.SliceRows, ct);
            _slices++;
        }

        if (state.Phase == ProcessingPhase.Summarizing) state = await processing.SummarizeAsync(state, ct);
        if (state.Phase != ProcessingPhase.Processed) return true;
        var summary = await new InventoryQueries(storeLifetime.Records).GetChangesAsync(scan.Id, ct);
        var processed = new ScanProcessed(scan.Id, summary!);
        foreach (var listener in _listeners)
        {
            try
            {
                await listener.OnScanProcessedAsync(processed, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // At least once: the scan stays un-notified and every listener hears of it again at the next tick.
                LogListenerFailed(_logger, e, listener.GetType().Name, scan.Id);
                return true;
            }
        }

        await processing.MarkNotifiedAsync(scan.Id, ct);
        LogProcessed(_logger, scan.Id, summary!.NewAssets.Count, summary.GoneAssets.Count, summary.NewServices.Count, summary.GoneServices.Count,
            summary.ChangedServices.Count);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "inventory: processing scan {ScanId} ({Processed} of {Total} results folded)")]
    private static partial void LogProcessing(ILogger logger, long scanId, long processed, long total);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "inventory: scan {ScanId} processed: {NewAssets} new and {GoneAssets} gone assets, {NewServices} new, {GoneServices} gone and {Changed} changed services")]
    private static partial void LogProcessed(ILogger logger, long scanId, int newAssets, int goneAssets, int newServices, int goneServices, int changed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "inventory: listener {Listener} failed for scan {ScanId}; it is called again at the next tick")]
    private static partial void LogListenerFailed(ILogger logger, Exception exception, string listener, long scanId);
}
