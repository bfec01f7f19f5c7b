using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Outpost.Appliance.Contracts;
using Outpost.Store;

namespace Outpost.Appliance.Admin;

/// <summary>The small named records the daemon keeps in the store's document collections, and their defaults.</summary>
public static class Documents
{
    public const string Settings = "settings";
    public const string ScanSettingsKey = "scan";
    public const string SchedulerKey = "scheduler";

    public static ScanSettings ReadScanSettings(IOutpostStore store) =>
        Read(store, ScanSettingsKey, OutpostJsonContext.Default.ScanSettings) ?? new ScanSettings();

    public static SchedulerState ReadScheduler(IOutpostStore store) =>
        Read(store, SchedulerKey, OutpostJsonContext.Default.SchedulerState) ?? new SchedulerState(false);

    public static ValueTask WriteAsync<T>(IOutpostStore store, string key, T value, JsonTypeInfo<T> type, CancellationToken ct = default) =>
        store.PutDocumentAsync(Settings, key, JsonSerializer.Serialize(value, type), ct);

    private static T? Read<T>(IOutpostStore store, string key, JsonTypeInfo<T> type) where T : class =>
        store.GetDocument(Settings, key) is { } json ? JsonSerializer.Deserialize(json, type) : null;
}
