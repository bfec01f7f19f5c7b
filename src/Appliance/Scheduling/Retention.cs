using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;
using Outpost.Store.Records.Audit;
using Outpost.Store.Records.Capabilities;
using Outpost.Store.Records.Findings;
using Outpost.Store.Records.Inventory;
using Outpost.Store.Records.Notifications;

namespace Outpost.Appliance.Scheduling;

/// <summary>
/// Removes finished jobs, their findings, typed results and inventory rows (not the assets), and emptied finished scans older than the configured age (default 30 days).
/// It runs as its own background loop, so the API never waits for it: the store removes job by job without holding
/// the claim path, and only finished work is touched, so a removal never races a scanner. The same pass removes audit
/// entries older than <c>Outpost:Audit:MaxAge</c> (default 365 days), and finished notification deliveries by the jobs' age.
/// </summary>
public sealed partial class Retention(StoreLifetime storeLifetime, IOptions<OutpostOptions> options, TimeProvider clock,
    IHostApplicationLifetime lifetime, ILogger<Retention> logger) : LoopService(BackgroundLoop.Retention, clock, lifetime, logger)
{
    private readonly RetentionOptions _options = options.Value.Retention;
    private readonly TimeSpan _auditMaxAge = options.Value.Audit.MaxAge;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger _logger = logger;

    protected override TimeSpan? Period => _options.Interval;

    protected override async ValueTask TickAsync(CancellationToken ct) => await PruneAsync(ct);

    /// <summary>One pass; returns how many jobs were removed.</summary>
    public async ValueTask<long> PruneAsync(CancellationToken ct = default)
    {
        var cutoff = _clock.GetUtcNow() - _options.MaxAge;
        var store = storeLifetime.Store;
        var removed = await store.RemoveFinishedBeforeAsync(cutoff, ct);
        if (removed > 0)
        {
            LogPruned(_logger, removed, cutoff);
        }

        // The findings of every scan the job store no longer has, including any a crash left behind after an earlier pass.
        var findings = await new FindingsTable(storeLifetime.Records).RemoveGoneScansAsync(scanId => store.GetScan(scanId) is not null, ct);
        if (findings > 0)
        {
            LogFindingsPruned(_logger, findings);
        }

        // The typed results of the capabilities (services, pages, screenshots) go by the same rule.
        var results = await new CapabilityResults(storeLifetime.Records).RemoveGoneScansAsync(scanId => store.GetScan(scanId) is not null, ct);
        if (results > 0)
        {
            LogResultsPruned(_logger, results);
        }

        // The inventory's rows of those scans (what each saw, its change summary); the assets and their timeline stay.
        var inventory = await new InventoryRetention(storeLifetime.Records).RemoveGoneScansAsync(scanId => store.GetScan(scanId) is not null, ct);
        if (inventory > 0)
        {
            LogInventoryPruned(_logger, inventory);
        }

        var auditCutoff = _clock.GetUtcNow() - _auditMaxAge;
        // Built here, not injected: hosted services are constructed before the store (and its records database) is open.
        var entries = await new AuditRepository(storeLifetime.Records).PruneAsync(auditCutoff, ct);
        if (entries > 0)
        {
            LogAuditPruned(_logger, entries, auditCutoff);
        }

        var deliveries = await new NotificationOutbox(storeLifetime.Records).PruneAsync(cutoff, ct);
        if (deliveries > 0)
        {
            LogDeliveriesPruned(_logger, deliveries, cutoff);
        }

        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention removed {Count} finished jobs created before {Cutoff}")]
    private static partial void LogPruned(ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention removed {Count} findings of removed scans")]
    private static partial void LogFindingsPruned(ILogger logger, long count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention removed {Count} audit entries older than {Cutoff}")]
    private static partial void LogAuditPruned(ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention removed {Count} finished notification deliveries older than {Cutoff}")]
    private static partial void LogDeliveriesPruned(ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Retention removed the inventory rows of {Count} removed scans (what each saw, its change summary, its sightings); assets stay")]
    private static partial void LogInventoryPruned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention removed {Count} capability results (services, pages, screenshots) of removed scans")]
    private static partial void LogResultsPruned(ILogger logger, long count);
}
