using System.Buffers.Binary;
using FASTER.core;
using Outpost.Store.Faster;

namespace Outpost.Store.Tests;

public sealed class BlobTableTests : IDisposable
{
    private const int HotJobs = 4;
    private const int FreshJobs = 250_000;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "outpost-blobs-" + Guid.NewGuid().ToString("N"));

    /// <summary>
    /// Three threads rewrite and delete the blobs of four jobs with values of changing size, so their inserts race
    /// for the same hash-chain slots and FASTER leaves the losers' records in the log, marked invalid; a fourth
    /// writes one blob each for many other jobs between them. Compaction then walks every record of the read-only
    /// log, the restart replays the rest, and every blob must read back as written. Against the variable-length key
    /// this table had before (<see cref="BlobKey"/>) the walk misread the log after such a record: compaction dropped
    /// live blobs, or the process died reading far past the record (this test crashed its host in three runs of three).
    /// </summary>
    [Fact]
    public async Task Blobs_written_beside_racing_rewrites_survive_compaction_and_a_restart()
    {
        Directory.CreateDirectory(_directory);
        var options = TempStore.Options(_directory) with { BlobMemorySizeBits = 24 };
        using (var blobs = new BlobTable(_directory, options))
        {
            Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, thread =>
            {
                var random = new Random(thread);
                var value = new byte[400];
                for (var i = 0; i < FreshJobs; i++)
                {
                    if (thread == 0)
                    {
                        blobs.Put(HotJobs + i, BlobKind.Spec, Fill(value, HotJobs + i));
                        continue;
                    }
                    var jobId = random.Next(HotJobs);
                    if (random.Next(4) == 0) blobs.Delete(jobId, BlobKind.Spec);
                    else blobs.Put(jobId, BlobKind.Spec, value.AsSpan(0, random.Next(1, value.Length)));
                }
            });
            var value = new byte[400];
            for (var jobId = 0; jobId < HotJobs; jobId++) blobs.Put(jobId, BlobKind.Spec, Fill(value, jobId));

            var begin = blobs.LogBegin;
            Assert.True(blobs.Compact() > begin + (64L << 20), "compaction must walk most of the log");
            AssertAllReadBack(blobs);
            await blobs.CheckpointAsync(withIndex: true);
        }
        using (var reopened = new BlobTable(_directory, options))
        {
            reopened.Recover(_directory);
            AssertAllReadBack(reopened);
        }
    }

    /// <summary>
    /// A blob log written with the 9-byte variable-length keys of earlier versions, and its index checkpoint, open
    /// under <see cref="BlobKey"/>: the same records and hashes, so an upgraded appliance keeps its job specs.
    /// </summary>
    [Fact]
    public async Task A_blob_log_written_with_the_earlier_variable_length_keys_reads_unchanged()
    {
        Directory.CreateDirectory(_directory);
        var options = TempStore.Options(_directory) with { BlobMemorySizeBits = 24 };
        var value = new byte[400];
        using (var device = FasterKvTables.Device(_directory, "blobs"))
        using (var earlier = new FasterKV<SpanByte, SpanByte>(FasterKvTables.Settings<SpanByte, SpanByte>(options, "blobs", device, options.BlobMemorySizeBits, options.BlobIndexBuckets)))
        using (var session = earlier.For(new SpanByteFunctions<Empty>()).NewSession<SpanByteFunctions<Empty>>())
        {
            for (var jobId = HotJobs; jobId < HotJobs + FreshJobs; jobId++) UpsertWithEarlierKey(session, jobId, Fill(value, jobId));
            await earlier.TakeFullCheckpointAsync(CheckpointType.FoldOver);
        }
        using var blobs = new BlobTable(_directory, options);
        blobs.Recover(_directory);
        AssertAllReadBack(blobs, jobsFrom: HotJobs);
    }

    private static void UpsertWithEarlierKey(ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>> session, long jobId, ReadOnlySpan<byte> value)
    {
        Span<byte> key = stackalloc byte[9];
        BinaryPrimitives.WriteInt64LittleEndian(key, jobId);
        key[8] = (byte)BlobKind.Spec;
        session.Upsert(key, value);
    }

    private static void AssertAllReadBack(BlobTable blobs, int jobsFrom = 0)
    {
        var expected = new byte[400];
        for (var jobId = jobsFrom; jobId < HotJobs + FreshJobs; jobId++)
        {
            var actual = blobs.Get(jobId, BlobKind.Spec);
            Assert.True(actual is not null && actual.AsSpan().SequenceEqual(Fill(expected, jobId)), $"blob of job {jobId} is {(actual is null ? "missing" : "different")}");
        }
        Assert.Null(blobs.Get(HotJobs, BlobKind.Error));
    }

    /// <summary>The blob a job is given: 1 to 399 bytes, by job id, each byte from the id and its place.</summary>
    private static ReadOnlySpan<byte> Fill(byte[] buffer, long jobId)
    {
        var value = buffer.AsSpan(0, (int)(jobId % (buffer.Length - 1)) + 1);
        for (var i = 0; i < value.Length; i++) value[i] = (byte)(jobId * 31 + i);
        return value;
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}
