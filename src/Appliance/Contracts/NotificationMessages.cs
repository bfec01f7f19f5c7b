namespace Outpost.Appliance.Contracts;

// The wire shapes of notifications (docs/notifications.md).

/// <summary>
/// Where notifications go and which events are sent. <see cref="MinimumSeverity"/> filters new vulnerabilities;
/// the three switches turn the inventory and certificate events on or off. As read (GET), webhook secrets are never
/// shown: <see cref="WebhookSettings.HasSecret"/> says whether one is set.
/// </summary>
public sealed record NotificationSettings
{
    // set, not init: the JSON source generator gives an absent init-only property null, not its initializer.
    public string MinimumSeverity { get; set; } = "high";
    public bool NewAssets { get; set; } = true;
    public bool NewServices { get; set; } = true;
    public bool CertificateExpiry { get; set; } = true;
    public IReadOnlyList<WebhookSettings> Webhooks { get; set; } = [];
    public IReadOnlyList<SyslogSettings> Syslog { get; set; } = [];
}

/// <summary>
/// A webhook: each event is POSTed to <see cref="Url"/> as JSON, signed with HMAC-SHA256 under <see cref="Secret"/>.
/// On PUT, an absent or null secret keeps the one already set for this URL, and <c>""</c> removes it.
/// </summary>
public sealed record WebhookSettings
{
    public required string Url { get; init; }
    public string? Secret { get; set; }
    public bool HasSecret { get; set; }
}

/// <summary>A syslog server: RFC 5424 messages over <see cref="Transport"/> <c>udp</c> or <c>tcp</c> (octet-counted frames).</summary>
public sealed record SyslogSettings
{
    public required string Host { get; init; }
    public int Port { get; set; } = 514;
    public string Transport { get; set; } = "udp";
}

/// <summary>What a webhook receives: the event's name, when, a one-line summary, and the vulnerability, asset or service it is about.</summary>
public sealed record NotificationBody(string Event, DateTimeOffset At, string Summary, VulnerabilityResponse? Vulnerability = null,
    NotificationSubject? Asset = null, NotificationSubject? Service = null);

/// <summary>An asset (<see cref="Port"/> null) or a service the inventory saw for the first time.</summary>
public sealed record NotificationSubject(string Ip, int? Port = null, string? Name = null);

/// <summary>How many deliveries a "send test" queued (one per configured target).</summary>
public sealed record NotificationTestResponse(int Queued);

/// <summary>One delivery to one target: pending, delivered or failed, after how many attempts, and the last error.</summary>
public sealed record NotificationDeliveryResponse(long Id, string Event, string Channel, string Target, string Status, int Attempts, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record NotificationDeliveryListResponse(IReadOnlyList<NotificationDeliveryResponse> Deliveries, string? NextCursor);
