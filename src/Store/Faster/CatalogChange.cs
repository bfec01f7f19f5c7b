using System.Text.Json;
using System.Text.Json.Serialization;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

/// <summary>A scan's persisted fields (its tally is derived from its jobs).</summary>
internal sealed record ScanState(long Id, ScanSpec Spec, ScanStatus Status, long CreatedAt, long StartedAt, long FinishedAt, List<JobIdRange> JobRanges);

/// <summary>
/// One change to the catalog, as written to the write-ahead log. Each carries the entity's whole new value
/// (or its removal), so replaying a change that a checkpoint already holds is harmless.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "t")]
[JsonDerivedType(typeof(ScannerPut), "scanner")]
[JsonDerivedType(typeof(ScanPut), "scan")]
[JsonDerivedType(typeof(ScanRemoved), "scan-removed")]
[JsonDerivedType(typeof(DocumentPut), "doc")]
[JsonDerivedType(typeof(DocumentRemoved), "doc-removed")]
[JsonDerivedType(typeof(AlarmPut), "alarm")]
[JsonDerivedType(typeof(AlarmRemoved), "alarm-removed")]
[JsonDerivedType(typeof(RetiredFindingsAdded), "findings")]
internal abstract record CatalogChange;

internal sealed record ScannerPut(Scanner Scanner) : CatalogChange;

internal sealed record ScanPut(ScanState Scan) : CatalogChange;

internal sealed record ScanRemoved(long ScanId) : CatalogChange;

internal sealed record DocumentPut(string Collection, string Key, string Json) : CatalogChange;

internal sealed record DocumentRemoved(string Collection, string Key) : CatalogChange;

internal sealed record AlarmPut(Alarm Alarm) : CatalogChange;

internal sealed record AlarmRemoved(string Kind, string Subject) : CatalogChange;

/// <summary>
/// A change the version before the records database wrote: findings a job reported, kept in the catalog then (later
/// reports of an identity already known were not logged). It is never written now. A log of that version may still
/// hold it: replay leaves memory alone and notes it (<see cref="Catalog.ReplayedRetiredFindings"/>), and the upgrade
/// moves its findings into the records database (docs/records.md, "Upgrading").
/// </summary>
internal sealed record RetiredFindingsAdded(long ScanId, List<StoredFinding> Findings) : CatalogChange;

/// <summary>
/// The whole catalog as a checkpoint writes it, with what recovery would otherwise derive from history:
/// <see cref="JobIdFloor"/>, the lowest job id retention kept, where the index rebuild starts (so retired jobs cost
/// nothing at restart).
/// </summary>
internal sealed record CatalogSnapshot(
    List<Scanner> Scanners,
    List<ScanState> Scans,
    List<DocumentPut> Documents,
    List<Alarm> Alarms,
    long JobIdHighWater,
    long JobIdFloor = 1);

/// <summary>
/// The catalog's changes and snapshots as source-generated JSON. MessagePack 2.5.307 (contractless) round-trips a
/// 200-scan snapshot in 4.7 ms against 6.9 ms here (<c>outpost-bench store codecs</c>, load average 38 on 2 cores), but
/// a snapshot is written once per checkpoint and read once per start, so that saves a few milliseconds where
/// restart takes seconds; switching would add a second format next to the JSON that existing stores hold, and the
/// catalog would no longer be readable with <c>jq</c> when an operator inspects a damaged store.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CatalogChange))]
[JsonSerializable(typeof(CatalogSnapshot))]
[JsonSerializable(typeof(StoredFinding))]
internal sealed partial class StoreJson : JsonSerializerContext;
