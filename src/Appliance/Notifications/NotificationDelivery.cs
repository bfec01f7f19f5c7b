using Microsoft.Extensions.Options;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Hosting;
using Outpost.Store.Records.Notifications;
using Polly;
using Polly.Retry;

namespace Outpost.Appliance.Notifications;

/// <summary>
/// The delivery loop (docs/notifications.md): each tick takes the pending outbox rows, oldest first, and sends them
/// concurrently, each through a Polly retry pipeline (exponential backoff with jitter: by default 4 retries from 2 s),
/// then records delivered or failed with the attempts and last error. Queued rows are in the records database, so a
/// restart picks up where the last run stopped. Leader-only, so two ingest nodes never both send.
/// </summary>
public sealed partial class NotificationDelivery : LoopService
{
    public const string Webhook = "webhook";
    public const string Syslog = "syslog";

    /// <summary>How many pending deliveries one tick sends at once.</summary>
    private const int Batch = 32;

    private readonly StoreLifetime _storeLifetime;
    private readonly WebhookSender _webhooks;
    private readonly TimeProvider _clock;
    private readonly NotificationOptions _options;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _retry;

    public NotificationDelivery(StoreLifetime storeLifetime, WebhookSender webhooks, IOptions<OutpostOptions> options, TimeProvider clock,
        IHostApplicationLifetime lifetime, ILogger<NotificationDelivery> logger)
        : base(BackgroundLoop.NotificationDelivery, clock, lifetime, logger)
    {
        _storeLifetime = storeLifetime;
        _webhooks = webhooks;
        _clock = clock;
        _options = options.Value.Notifications;
        _logger = logger;
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = _options.MaxRetries,
                Delay = _options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<System.Net.Sockets.SocketException>().Handle<IOException>()
                    .Handle<TimeoutException>().Handle<TaskCanceledException>(),
            })
            .Build();
    }

    protected override TimeSpan? Period => _options.PollInterval;

    protected override async ValueTask TickAsync(CancellationToken ct) => await DeliverPendingAsync(ct);

    /// <summary>One pass over the pending deliveries; returns how many it finished (delivered or failed).</summary>
    public async Task<int> DeliverPendingAsync(CancellationToken ct)
    {
        // Built here, not injected: hosted services are constructed before the store (and its records database) is open.
        var outbox = new NotificationOutbox(_storeLifetime.Records);
        var pending = await outbox.PendingAsync(Batch, ct);
        if (pending.Count == 0)
        {
            return 0;
        }

        var settings = NotificationSettingsRules.Read(_storeLifetime.Store);
        await Task.WhenAll(pending.Select(d => DeliverAsync(outbox, settings, d, ct)));
        return pending.Count;
    }

    private async Task DeliverAsync(NotificationOutbox outbox, NotificationSettings settings, OutboxDelivery delivery, CancellationToken ct)
    {
        var attempts = 0;
        string? error = null;
        try
        {
            if (delivery.Message.Channel == Webhook)
            {
                var webhook = settings.Webhooks.FirstOrDefault(w => w.Url == delivery.Message.Target)
                    ?? throw new InvalidOperationException("This webhook is no longer configured.");
                await _retry.ExecuteAsync(async t =>
                {
                    attempts++;
                    await _webhooks.SendAsync(delivery, webhook.Secret, t);
                }, ct);
            }
            else
            {
                await _retry.ExecuteAsync(async t =>
                {
                    attempts++;
                    await SyslogSender.SendAsync(delivery, t);
                }, ct);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            error = ex.Message;
            LogFailed(_logger, delivery.Id, delivery.Message.Target, attempts, ex.Message);
        }

        await outbox.FinishAsync(delivery.Id, error is null, attempts, error, _clock.GetUtcNow(), ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {Id} to {Target} failed after {Attempts} attempts: {Error}")]
    private static partial void LogFailed(ILogger logger, long id, string target, int attempts, string error);
}

/// <summary><c>Outpost:Notifications</c>: how often the delivery loop looks for queued deliveries, and how it retries.</summary>
public sealed class NotificationOptions
{
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);
    public int MaxRetries { get; set; } = 4;
}
