using System.Data.Common;

namespace Outpost.Store.Records.Notifications;

/// <summary>
/// One notification for one target, as queued: <see cref="Channel"/> is <c>webhook</c> or <c>syslog</c>;
/// <see cref="Target"/> the webhook's URL or the syslog server as <c>udp://host:port</c> / <c>tcp://host:port</c>;
/// <see cref="Body"/> the JSON document a webhook posts; <see cref="Summary"/> the one line a syslog message carries.
/// </summary>
public sealed record OutboxMessage(string Event, string Channel, string Target, string Body, string Summary, int SyslogSeverity);

/// <summary>A queued or finished delivery: <see cref="Status"/> is pending, delivered or failed.</summary>
public sealed record OutboxDelivery(long Id, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, OutboxMessage Message, string Status, int Attempts,
    string? LastError);

/// <summary>
/// The notification outbox in the records database (docs/notifications.md). Events are queued here in the same
/// durable write as anything else, never sent on the caller's path; the delivery loop takes pending rows oldest first
/// and records each outcome. Delivery is at least once: a crash between sending and recording resends.
/// </summary>
public sealed class NotificationOutbox(RecordsDatabase records)
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    private const string Columns = "id, created_at, updated_at, event, channel, target, body, summary, syslog_severity, status, attempts, last_error";

    /// <summary>Queues <paramref name="messages"/>; they are durable when the task completes.</summary>
    public Task EnqueueAsync(IReadOnlyList<OutboxMessage> messages, DateTimeOffset now, CancellationToken ct = default) =>
        messages.Count == 0
            ? Task.CompletedTask
            : records.WriteAsync(async (c, tx, t) =>
            {
                foreach (var m in messages)
                {
                    await using var insert = c.Command(
                            "INSERT INTO notification_deliveries (created_at, updated_at, event, channel, target, body, summary, syslog_severity, status, attempts) " +
                            $"VALUES (@at, @at, @event, @channel, @target, @body, @summary, @severity, '{Pending}', 0)", tx)
                        .With("at", RecordsCommands.Microseconds(now)).With("event", m.Event).With("channel", m.Channel).With("target", m.Target)
                        .With("body", m.Body).With("summary", m.Summary).With("severity", m.SyslogSeverity);
                    await insert.ExecuteNonQueryAsync(t);
                }

                return (true, true);
            }, ct);

    /// <summary>Up to <paramref name="limit"/> pending deliveries, oldest first.</summary>
    public Task<IReadOnlyList<OutboxDelivery>> PendingAsync(int limit, CancellationToken ct = default) =>
        records.ReadAsync<IReadOnlyList<OutboxDelivery>>(async (c, t) =>
        {
            await using var command = c.Command($"SELECT {Columns} FROM notification_deliveries WHERE status = '{Pending}' ORDER BY id LIMIT @limit")
                .With("limit", limit);
            return await ReadAllAsync(command, t);
        }, ct);

    /// <summary>Records how a delivery ended after <paramref name="attempts"/> tries.</summary>
    public Task FinishAsync(long id, bool delivered, int attempts, string? error, DateTimeOffset now, CancellationToken ct = default) =>
        records.WriteAsync(async (c, tx, t) =>
        {
            await using var update = c.Command(
                    "UPDATE notification_deliveries SET status = @status, attempts = attempts + @attempts, last_error = @error, updated_at = @at WHERE id = @id", tx)
                .With("status", delivered ? Delivered : Failed).With("attempts", attempts).With("error", error).With("at", RecordsCommands.Microseconds(now))
                .With("id", id);
            await update.ExecuteNonQueryAsync(t);
            return (true, true);
        }, ct);

    /// <summary>Up to <paramref name="limit"/> deliveries older than <paramref name="before"/> (an id; null: the newest), newest first.</summary>
    public Task<IReadOnlyList<OutboxDelivery>> QueryAsync(long? before, int limit, CancellationToken ct = default) =>
        records.ReadAsync<IReadOnlyList<OutboxDelivery>>(async (c, t) =>
        {
            await using var command = c.Command($"SELECT {Columns} FROM notification_deliveries WHERE id < @before ORDER BY id DESC LIMIT @limit")
                .With("before", before ?? long.MaxValue).With("limit", limit);
            return await ReadAllAsync(command, t);
        }, ct);

    /// <summary>Removes finished deliveries last changed before <paramref name="cutoff"/>; returns how many.</summary>
    public Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken ct = default) =>
        records.WriteAsync(async (c, tx, t) =>
        {
            await using var command = c.Command($"DELETE FROM notification_deliveries WHERE status <> '{Pending}' AND updated_at < @cutoff", tx)
                .With("cutoff", RecordsCommands.Microseconds(cutoff));
            return (true, await command.ExecuteNonQueryAsync(t));
        }, ct);

    private static async Task<List<OutboxDelivery>> ReadAllAsync(DbCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<OutboxDelivery>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new OutboxDelivery(reader.GetInt64(0), RecordsCommands.Time(reader.GetInt64(1)), RecordsCommands.Time(reader.GetInt64(2)),
                new OutboxMessage(reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetInt32(8)),
                reader.GetString(9), reader.GetInt32(10), reader.IsDBNull(11) ? null : reader.GetString(11)));
        }

        return rows;
    }
}
