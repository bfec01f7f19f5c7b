using System.Text.Json;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.Vulnerabilities;
using Outpost.Store.Records.Notifications;
using Outpost.Store.Records.Vulnerabilities;

namespace Outpost.Appliance.Notifications;

/// <summary>
/// Turns events into queued deliveries (docs/notifications.md): one outbox row per event and configured target,
/// filtered by the settings (minimum severity, which events). It only writes to the outbox, so the run or request
/// that raised the event never waits for a network; <see cref="NotificationDelivery"/> sends. It listens to the ledger
/// (vulnerabilities opened) and to the inventory (a processed scan's new assets and services). The inventory tells its
/// listeners at least once, so after a crash a scan's inventory events may be queued twice: like every delivery,
/// these are at least once.
/// </summary>
public sealed class Notifier(StoreLifetime storeLifetime, TimeProvider clock) : IVulnerabilitiesOpenedListener, IScanProcessedListener
{
    public const string VulnerabilityOpened = "vulnerability.opened";
    public const string CertificateExpiry = "certificate.expiry";
    public const string AssetNew = "asset.new";
    public const string ServiceNew = "service.new";
    public const string Test = "notification.test";

    /// <summary>The catalogue's checks (src/Probe/Capabilities/Vulnscan/Catalogue/Data/tls.yaml) whose opening is a certificate-expiry event.</summary>
    public static readonly IReadOnlySet<string> CertificateExpiryChecks = new HashSet<string>(StringComparer.Ordinal)
    {
        "tls-certificate-expired",
        "tls-certificate-expiring",
    };

    // The inventory processor (a hosted service) takes its listeners before the store is open: resolve it at use.
    private NotificationOutbox Outbox => new(storeLifetime.Records);

    public async Task OnOpenedAsync(IReadOnlyList<StoredVulnerability> opened, CancellationToken ct)
    {
        var settings = NotificationSettingsRules.Read(storeLifetime.Store);
        var minimum = VulnerabilitySeverity.Rank(settings.MinimumSeverity);
        var now = clock.GetUtcNow();
        var messages = new List<OutboxMessage>();
        foreach (var v in opened)
        {
            var response = VulnerabilityApi.ToResponse(v);
            if (VulnerabilitySeverity.Rank(v.Severity) >= minimum)
            {
                Add(messages, settings, new NotificationBody(VulnerabilityOpened, now, $"New {v.Severity} vulnerability on {v.Ip}:{v.Port}: {v.Title}", response),
                    SyslogSeverity(v.Severity));
            }

            if (settings.CertificateExpiry && CertificateExpiryChecks.Contains(v.CheckId))
            {
                Add(messages, settings, new NotificationBody(CertificateExpiry, now, $"Certificate on {v.Ip}:{v.Port}: {v.Title}", response), Warning);
            }
        }

        await Outbox.EnqueueAsync(messages, now, ct);
    }

    public Task OnScanProcessedAsync(ScanProcessed processed, CancellationToken cancellationToken) =>
        InventoryChangedAsync(processed.ChangeSummary.NewAssets,
            [.. processed.ChangeSummary.NewServices.Select(s => new NotificationSubject(s.Ip, s.Port, s.Service))], cancellationToken);

    /// <summary>Queues the inventory's news of a processed scan: assets and services seen for the first time.</summary>
    public Task InventoryChangedAsync(IReadOnlyList<string> newAssets, IReadOnlyList<NotificationSubject> newServices, CancellationToken ct)
    {
        var settings = NotificationSettingsRules.Read(storeLifetime.Store);
        var now = clock.GetUtcNow();
        var messages = new List<OutboxMessage>();
        if (settings.NewAssets)
        {
            foreach (var ip in newAssets)
            {
                Add(messages, settings, new NotificationBody(AssetNew, now, $"New asset {ip}", Asset: new NotificationSubject(ip)), Notice);
            }
        }

        if (settings.NewServices)
        {
            foreach (var s in newServices)
            {
                Add(messages, settings, new NotificationBody(ServiceNew, now, $"New service {s.Name ?? "unknown"} on {s.Ip}:{s.Port}", Service: s), Notice);
            }
        }

        return Outbox.EnqueueAsync(messages, now, ct);
    }

    /// <summary>Queues a test message to every configured target; returns how many.</summary>
    public async Task<int> SendTestAsync(CancellationToken ct)
    {
        var settings = NotificationSettingsRules.Read(storeLifetime.Store);
        var now = clock.GetUtcNow();
        var messages = new List<OutboxMessage>();
        Add(messages, settings, new NotificationBody(Test, now, "Test message from Outpost: notifications reach this target."), Informational);
        await Outbox.EnqueueAsync(messages, now, ct);
        return messages.Count;
    }

    /// <summary>RFC 5424 severities (section 6.2.1) for Outpost's: the more severe the finding, the lower the number.</summary>
    public static int SyslogSeverity(string severity) => severity switch
    {
        VulnerabilitySeverity.Critical => 2,
        VulnerabilitySeverity.High => 3,
        VulnerabilitySeverity.Medium => Warning,
        VulnerabilitySeverity.Low => Notice,
        _ => Informational,
    };

    private const int Warning = 4, Notice = 5, Informational = 6;

    private static void Add(List<OutboxMessage> messages, NotificationSettings settings, NotificationBody body, int syslogSeverity)
    {
        var json = JsonSerializer.Serialize(body, OutpostJsonContext.Default.NotificationBody);
        foreach (var w in settings.Webhooks)
        {
            messages.Add(new OutboxMessage(body.Event, NotificationDelivery.Webhook, w.Url, json, body.Summary, syslogSeverity));
        }

        foreach (var s in settings.Syslog)
        {
            messages.Add(new OutboxMessage(body.Event, NotificationDelivery.Syslog, NotificationSettingsRules.Target(s), json, body.Summary, syslogSeverity));
        }
    }
}
