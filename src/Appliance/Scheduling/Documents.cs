using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Planning;
using Outpost.Store;

namespace Outpost.Appliance.Scheduling;

/// <summary>The small named records the daemon keeps in the store's document collections, and their defaults.</summary>
public static class Documents
{
    public const string Settings = "settings";
    public const string ScanSettingsKey = "scan";
    public const string SchedulerKey = "scheduler";
    /// <summary>Recurring schedules, keyed by the id of the scan that holds their spec.</summary>
    public const string Schedules = "schedules";

    public static ScanSettings ReadScanSettings(IOutpostStore store) => ParseScanSettings(store.GetDocument(Settings, ScanSettingsKey));

    public static ScanSettings ParseScanSettings(string? json) =>
        json is null ? new ScanSettings() : JsonSerializer.Deserialize(json, OutpostJsonContext.Default.ScanSettings) ?? new ScanSettings();

    public static SchedulerState ReadScheduler(IOutpostStore store) => ParseScheduler(store.GetDocument(Settings, SchedulerKey));

    public static SchedulerState ParseScheduler(string? json) =>
        json is null ? new SchedulerState(false) : JsonSerializer.Deserialize(json, OutpostJsonContext.Default.SchedulerState) ?? new SchedulerState(false);

    public static ValueTask WriteAsync<T>(IOutpostStore store, string key, T value, JsonTypeInfo<T> type, CancellationToken ct = default) =>
        store.PutDocumentAsync(Settings, key, JsonSerializer.Serialize(value, type), ct);

    public static RecurringSchedule? ReadSchedule(IOutpostStore store, long id) =>
        store.GetDocument(Schedules, ScheduleKey(id)) is { } json ? JsonSerializer.Deserialize(json, OutpostJsonContext.Default.RecurringSchedule) : null;

    public static IReadOnlyList<RecurringSchedule> ListSchedules(IOutpostStore store)
    {
        var documents = store.ListDocuments(Schedules);
        var schedules = new List<RecurringSchedule>(documents.Count);
        foreach (var (_, json) in documents)
        {
            if (JsonSerializer.Deserialize(json, OutpostJsonContext.Default.RecurringSchedule) is { } schedule)
            {
                schedules.Add(schedule);
            }
        }

        return schedules;
    }

    public static ValueTask WriteScheduleAsync(IOutpostStore store, RecurringSchedule schedule, CancellationToken ct = default) =>
        store.PutDocumentAsync(Schedules, ScheduleKey(schedule.Id), JsonSerializer.Serialize(schedule, OutpostJsonContext.Default.RecurringSchedule), ct);

    public static ValueTask<bool> DeleteScheduleAsync(IOutpostStore store, long id, CancellationToken ct = default) =>
        store.DeleteDocumentAsync(Schedules, ScheduleKey(id), ct);

    private static string ScheduleKey(long id) => id.ToString(CultureInfo.InvariantCulture);
}
