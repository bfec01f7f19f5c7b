using System.Buffers;
using System.Runtime.InteropServices;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

// Recovery's replay of the write-ahead log after the checkpoint.
public sealed partial class FasterOutpostStore
{
    /// <summary>
    /// More lanes than this would each read the whole log again for little gain: applying, not reading, is the cost.
    /// </summary>
    private const int MaxReplayLanes = 4;

    /// <summary>
    /// Replays the log from <paramref name="from"/> in lanes, one per core: every lane reads the whole log and applies
    /// the parts of the jobs whose id falls in its residue class (job id modulo the lane count), and lane 0 also the
    /// catalog's parts. Replay is correct when each key sees its own changes in log order, and nothing a part applies
    /// reads another key's state, so the lanes need no coordination. Most of a log after a busy spell is new jobs (an
    /// image and two blobs each), so the lanes share the work evenly. Returns the entries replayed and their bytes.
    /// </summary>
    private (long Entries, long Bytes) Replay(long from)
    {
        var lanes = Math.Clamp(Environment.ProcessorCount, 1, MaxReplayLanes);
        var results = new (long Entries, long Bytes)[lanes];
        // Callers see what a single pass would have thrown (a damaged entry is InvalidDataException).
        RecoveryThreads.RunLanes(lanes, lane => results[lane] = ReplayLane(from, lane, lanes));
        return results[0];
    }

    private (long Entries, long Bytes) ReplayLane(long from, int lane, int lanes)
    {
        long entries = 0, bytes = 0;
        using var iterator = _wal.Scan(from);
        // Entries are copied into pooled buffers: batches of new jobs fill a whole megabyte each.
        while (iterator.GetNext(MemoryPool<byte>.Shared, out var owner, out var length, out _))
        {
            using (owner)
            {
                var reader = new WalEntryReader(owner.Memory.Span[..length]);
                while (reader.Next(out var part, out var payload)) ApplyPart(part, payload, lane, lanes);
            }
            entries++;
            bytes += length;
        }
        return (entries, bytes);
    }

    private void ApplyPart(WalPart part, ReadOnlySpan<byte> payload, int lane, int lanes)
    {
        switch (part)
        {
            case WalPart.JobImage:
                var record = MemoryMarshal.Read<JobRecord>(payload);
                if (record.JobId % lanes == lane) _jobs.Upsert(in record);
                break;
            case WalPart.JobBlob:
                var jobId = BitConverter.ToInt64(payload);
                if (jobId % lanes == lane) _blobs.Put(jobId, (BlobKind)payload[8], payload[9..]);
                break;
            case WalPart.Catalog:
                if (lane == 0) _catalog.Apply(Catalog.Deserialize(payload));
                break;
            case WalPart.ScanStatus:
                if (lane == 0) _catalog.ApplyScanStatus(BitConverter.ToInt64(payload), (ScanStatus)payload[8], BitConverter.ToInt64(payload[9..]));
                break;
            case WalPart.JobsRemoved:
                foreach (var removed in MemoryMarshal.Cast<byte, long>(payload))
                    if (removed % lanes == lane) RemoveJobRecord(removed);
                break;
            default:
                throw new InvalidDataException($"unknown write-ahead log part {part}");
        }
    }
}
