using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Store;
using Outpost.Store.Records;
using Outpost.Store.Records.Notifications;

namespace Outpost.Appliance.Notifications;

/// <summary>
/// Notification settings and the delivery log, admins only (docs/notifications.md): <c>GET/PUT
/// /api/settings/notifications</c>, <c>POST /api/settings/notifications/test</c> (queues a test message to every
/// target) and <c>GET /api/notifications/deliveries?cursor=&amp;limit=</c>, newest first.
/// </summary>
public static class NotificationApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static void MapNotificationApi(this RouteGroupBuilder api)
    {
        var settings = api.MapGroup("/settings/notifications").WithTags("Notifications").RequireAuthorization(AuthPolicies.Admin);
        settings.MapGet("", (IOutpostStore store) => TypedResults.Ok(NotificationSettingsRules.Redacted(NotificationSettingsRules.Read(store))));
        settings.MapPut("", PutAsync);
        settings.MapPost("/test", TestAsync);
        api.MapGroup("/notifications").WithTags("Notifications").RequireAuthorization(AuthPolicies.Admin).MapGet("/deliveries", DeliveriesAsync);
    }

    private static async Task<Results<Ok<NotificationSettings>, BadRequestError>> PutAsync(NotificationSettings body, IOutpostStore store, CancellationToken ct)
    {
        if (NotificationSettingsRules.Validate(body, NotificationSettingsRules.Read(store), out var normalized) is { } error)
        {
            return new BadRequestError(error);
        }

        await NotificationSettingsRules.WriteAsync(store, normalized, ct);
        return TypedResults.Ok(NotificationSettingsRules.Redacted(normalized));
    }

    private static async Task<Results<Ok<NotificationTestResponse>, ConflictError>> TestAsync(Notifier notifier, CancellationToken ct)
    {
        var queued = await notifier.SendTestAsync(ct);
        return queued == 0
            ? new ConflictError("No webhook or syslog server is configured: add one and save first.", ErrorCodes.Conflict)
            : TypedResults.Ok(new NotificationTestResponse(queued));
    }

    private static async Task<Results<Ok<NotificationDeliveryListResponse>, BadRequestError>> DeliveriesAsync(string? cursor, int? limit,
        RecordsDatabase records, CancellationToken ct)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return new BadRequestError($"limit must be from 1 to {MaxLimit}.");
        }

        long? before = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
            {
                return new BadRequestError("cursor must be a nextCursor from an earlier page.");
            }

            before = parsed;
        }

        var pageSize = limit ?? DefaultLimit;
        var rows = await new NotificationOutbox(records).QueryAsync(before, pageSize + 1, ct);
        var page = rows.Take(pageSize).Select(d => new NotificationDeliveryResponse(d.Id, d.Message.Event, d.Message.Channel, d.Message.Target, d.Status,
            d.Attempts, d.LastError, d.CreatedAt, d.UpdatedAt)).ToList();
        return TypedResults.Ok(new NotificationDeliveryListResponse(page, rows.Count > pageSize ? page[^1].Id.ToString(CultureInfo.InvariantCulture) : null));
    }
}
