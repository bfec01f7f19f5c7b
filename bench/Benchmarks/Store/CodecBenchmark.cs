using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using MessagePack;
using MessagePack.Resolvers;
using Outpost.Store.Faster;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// outpost-bench store codecs: the store's own encodings against MessagePack (issue #12: adopt MessagePack where it
/// is as fast and replaces hand-written code or JSON; keep what a benchmark shows to be faster). Each pair encodes and
/// decodes the same value; the figure is nanoseconds per round trip, single thread, after a warm-up.
/// <list type="bullet">
/// <item>a job record, as the write-ahead log and the job table hold it (a blittable struct copied whole);</item>
/// <item>a job's spec (name, targets, pool), as the blob table holds it and every claim decodes it;</item>
/// <item>the catalog snapshot a checkpoint writes and recovery reads (source-generated System.Text.Json).</item>
/// </list>
/// </summary>
internal static class CodecBenchmark
{
    /// <summary>The message types below are nested in an internal class: MessagePack's dynamic formatters need leave to see them.</summary>
    private static readonly MessagePackSerializerOptions Attributed = StandardResolverAllowPrivate.Options;
    /// <summary>The catalog's types carry no MessagePack attributes: members by name, as JSON has them.</summary>
    private static readonly MessagePackSerializerOptions Contractless = ContractlessStandardResolverAllowPrivate.Options;

    public static int Run(int rounds)
    {
        var record = new JobRecord { JobId = 123_456_789, ScanId = 42, ScannerId = 7, CreatedAt = DateTime.UtcNow.Ticks, UpdatedAt = DateTime.UtcNow.Ticks, MaxProbesPerSecond = 1000, Status = JobStatus.Running, Attempts = 1 };
        var recordBuffer = new byte[JobRecord.Size];
        var recordMessage = RecordMessage.From(in record);
        Compare("store-codec-job-record", rounds,
            () =>
            {
                MemoryMarshal.Write(recordBuffer, in record);
                return MemoryMarshal.Read<JobRecord>(recordBuffer).JobId;
            },
            () => MessagePackSerializer.Deserialize<RecordMessage>(MessagePackSerializer.Serialize(recordMessage, Attributed), Attributed).JobId);

        JobTarget[] targets = [new JobTarget("10.1.2.0/24", "22,80,443"), new JobTarget("10.1.3.0/24", "1-1024")];
        var specMessage = new SpecMessage { Name = "portscan", Targets = [.. targets.Select(t => new TargetMessage { Cidr = t.Cidr, Ports = t.Ports })], Pool = "dmz" };
        Compare("store-codec-job-spec", rounds,
            () => JobSpecCodec.Decode(JobSpecCodec.Encode("portscan", targets, "dmz")).Targets.Count,
            () => MessagePackSerializer.Deserialize<SpecMessage>(MessagePackSerializer.Serialize(specMessage, Attributed), Attributed).Targets.Length);

        var snapshot = Snapshot(scans: 200);
        Compare("store-codec-catalog-snapshot", Math.Max(1, rounds / 1000),
            () => JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(snapshot, StoreJson.Default.CatalogSnapshot), StoreJson.Default.CatalogSnapshot)!.Scans.Count,
            () => MessagePackSerializer.Deserialize<CatalogSnapshot>(MessagePackSerializer.Serialize(snapshot, Contractless), Contractless).Scans.Count);
        return 0;
    }

    private static CatalogSnapshot Snapshot(int scans)
    {
        var scanners = Enumerable.Range(1, 20).Select(i => new Scanner { Id = i, Name = $"scanner-{i}", ApiKeyHash = new byte[32], AllowedCidrs = ["10.0.0.0/8"], Enabled = true, CreatedAt = DateTimeOffset.UnixEpoch }).ToList();
        var states = Enumerable.Range(1, scans).Select(i => new ScanState(i, new ScanSpec { Name = $"scan {i}", Targets = ["10.0.0.0/16"], Ports = "22,80,443", ScannerIds = [1, 2] },
            ScanStatus.Completed, 1, 2, 3, [new JobIdRange(i * 1000L, i * 1000L + 999)])).ToList();
        return new CatalogSnapshot(scanners, states, [new DocumentPut("settings", "scan", "{\"rate\":1000}")], [], scans * 1000L + 999);
    }

    /// <summary>Times both codecs (the faster one's figure is what a kept hand-written codec quotes) and prints a SUMMARY.</summary>
    private static void Compare(string name, int rounds, Func<long> outpost, Func<long> messagePack)
    {
        double outpostNs, messagePackNs;
        try
        {
            outpostNs = NanosecondsPerRound(rounds, outpost);
            messagePackNs = NanosecondsPerRound(rounds, messagePack);
        }
        catch (Exception e) when (e is MessagePackSerializationException or TypeLoadException or InvalidOperationException)
        {
            Console.WriteLine($"{name}: MessagePack cannot encode this type as it is ({e.GetType().Name}: {e.Message})");
            return;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: store {outpostNs:0} ns, MessagePack {messagePackNs:0} ns per encode+decode"));
        Summary.Print(name, outpostNs, messagePackNs, "ns per encode+decode (peer = MessagePack 2.5.307)");
    }

    private static double NanosecondsPerRound(int rounds, Func<long> round)
    {
        long sink = 0;
        for (var i = 0; i < Math.Min(rounds, 10_000); i++) sink += round();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rounds; i++) sink += round();
        GC.KeepAlive(sink);
        return clock.Elapsed.TotalNanoseconds / rounds;
    }

    /// <summary>The job record as MessagePack would carry it: one array of its fields.</summary>
    [MessagePackObject]
    public struct RecordMessage
    {
        [Key(0)] public long JobId;
        [Key(1)] public long ScanId;
        [Key(2)] public long ScannerId;
        [Key(3)] public long RerunOf;
        [Key(4)] public long CreatedAt;
        [Key(5)] public long ClaimedAt;
        [Key(6)] public long StartedAt;
        [Key(7)] public long FinishedAt;
        [Key(8)] public long UpdatedAt;
        [Key(9)] public long ProgressCount;
        [Key(10)] public long ResultCount;
        [Key(11)] public int MaxProbesPerSecond;
        [Key(12)] public int Attempts;
        [Key(13)] public byte Status;
        [Key(14)] public byte Flags;
        [Key(15)] public long Cursor;
        [Key(16)] public byte[] SourceIp;

        internal static RecordMessage From(in JobRecord record) => new()
        {
            JobId = record.JobId, ScanId = record.ScanId, ScannerId = record.ScannerId, RerunOf = record.RerunOf, CreatedAt = record.CreatedAt,
            ClaimedAt = record.ClaimedAt, StartedAt = record.StartedAt, FinishedAt = record.FinishedAt, UpdatedAt = record.UpdatedAt,
            ProgressCount = record.ProgressCount, ResultCount = record.ResultCount, MaxProbesPerSecond = record.MaxProbesPerSecond,
            Attempts = record.Attempts, Status = (byte)record.Status, Flags = (byte)record.Flags, Cursor = record.Cursor, SourceIp = new byte[16],
        };
    }

    [MessagePackObject]
    public sealed class SpecMessage
    {
        [Key(0)] public string Name { get; set; } = "";
        [Key(1)] public TargetMessage[] Targets { get; set; } = [];
        [Key(2)] public string? Pool { get; set; }
    }

    [MessagePackObject]
    public sealed class TargetMessage
    {
        [Key(0)] public string Cidr { get; set; } = "";
        [Key(1)] public string Ports { get; set; } = "";
    }
}
