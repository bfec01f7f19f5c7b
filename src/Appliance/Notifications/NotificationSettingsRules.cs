using System.Text.Json;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Scheduling;
using Outpost.Store;
using Outpost.Store.Records.Vulnerabilities;

namespace Outpost.Appliance.Notifications;

/// <summary>
/// The notification settings document (in the store's settings collection, beside the scan settings): reading it,
/// validating and normalising a PUT, keeping secrets that a PUT leaves out, and the secret-free view the API shows.
/// </summary>
public static class NotificationSettingsRules
{
    public const string DocumentKey = "notifications";
    public const int MaxTargets = 10;
    public const int MaxSecretLength = 256;

    public static NotificationSettings Read(IOutpostStore store) =>
        store.GetDocument(Documents.Settings, DocumentKey) is { } json
            ? JsonSerializer.Deserialize(json, OutpostJsonContext.Default.NotificationSettings) ?? new NotificationSettings()
            : new NotificationSettings();

    public static ValueTask WriteAsync(IOutpostStore store, NotificationSettings settings, CancellationToken ct = default) =>
        Documents.WriteAsync(store, DocumentKey, settings, OutpostJsonContext.Default.NotificationSettings, ct);

    /// <summary>The settings as the API shows them: secrets replaced by <see cref="WebhookSettings.HasSecret"/>.</summary>
    public static NotificationSettings Redacted(NotificationSettings settings) =>
        settings with { Webhooks = [.. settings.Webhooks.Select(w => w with { Secret = null, HasSecret = !string.IsNullOrEmpty(w.Secret) })] };

    /// <summary>
    /// Checks a PUT body and returns what to store (an error message, or null and <paramref name="normalized"/>): a
    /// webhook without a secret keeps the secret <paramref name="current"/> has for its URL; <c>""</c> removes it.
    /// </summary>
    public static string? Validate(NotificationSettings body, NotificationSettings current, out NotificationSettings normalized)
    {
        normalized = body;
        if (VulnerabilitySeverity.Rank(body.MinimumSeverity) < 0)
        {
            return $"minimumSeverity must be one of {string.Join(", ", VulnerabilitySeverity.All)}.";
        }

        if (body.Webhooks is null || body.Syslog is null || body.Webhooks.Count > MaxTargets || body.Syslog.Count > MaxTargets)
        {
            return $"webhooks and syslog are lists of at most {MaxTargets} entries each.";
        }

        var webhooks = new List<WebhookSettings>(body.Webhooks.Count);
        foreach (var w in body.Webhooks)
        {
            if (w is null || !Uri.TryCreate(w.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || w.Url.Length > 2000)
            {
                return "Each webhook needs an absolute http or https url.";
            }

            if (webhooks.Any(existing => existing.Url == w.Url))
            {
                return $"Webhook {w.Url} is listed twice.";
            }

            if (w.Secret is { Length: > MaxSecretLength })
            {
                return $"A webhook secret is at most {MaxSecretLength} characters.";
            }

            var secret = w.Secret ?? current.Webhooks.FirstOrDefault(c => c.Url == w.Url)?.Secret;
            webhooks.Add(new WebhookSettings { Url = w.Url, Secret = string.IsNullOrEmpty(secret) ? null : secret });
        }

        var syslog = new List<SyslogSettings>(body.Syslog.Count);
        foreach (var s in body.Syslog)
        {
            if (s is null || string.IsNullOrWhiteSpace(s.Host) || s.Host.Length > 253 || Uri.CheckHostName(s.Host.Trim('[', ']')) == UriHostNameType.Unknown)
            {
                return "Each syslog server needs a host name or address.";
            }

            if (s.Port is < 1 or > 65535)
            {
                return "A syslog port is from 1 to 65535.";
            }

            if (s.Transport is not ("udp" or "tcp"))
            {
                return "A syslog transport is udp or tcp.";
            }

            syslog.Add(s);
        }

        normalized = body with { Webhooks = webhooks, Syslog = syslog };
        return null;
    }

    /// <summary>The delivery target a syslog server is logged as: <c>udp://host:port</c> or <c>tcp://host:port</c>.</summary>
    public static string Target(SyslogSettings s) => $"{s.Transport}://{(s.Host.Contains(':', StringComparison.Ordinal) && !s.Host.StartsWith('[') ? $"[{s.Host}]" : s.Host)}:{s.Port}";
}
