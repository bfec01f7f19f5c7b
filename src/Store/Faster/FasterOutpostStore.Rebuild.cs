using System.Collections.Concurrent;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

// Recovery's rebuild of what memory derives from the job records.
public sealed partial class FasterOutpostStore
{
    /// <summary>
    /// Rebuilds scan tallies, claim queues in id order and active sets from the job records
    /// (<see cref="JobTable.ReadNewest"/>): each lane counts into its own tallies, and a record's queue or holder is
    /// kept by number in its id's slot (<see cref="RebuildTag"/>), so the queues are filled afterwards from the slots
    /// in id order, without sorting and without a list of millions of entries on the heap. A job its scan does not
    /// list was written by a dispatch that crashed before its scan was logged: never acknowledged, so it is removed.
    /// </summary>
    private (long Live, long Orphans) RebuildIndexes(long floor)
    {
        var highWater = _catalog.JobIdHighWater;
        var lanes = new[] { new RebuildLane(), new RebuildLane() };
        var queues = new Numbering<ClaimQueue>();
        var holders = new Numbering<ScannerQueue>();
        using var newest = _jobs.ReadNewest(floor, highWater, lanes.Length,
            count: (in JobRecord record, int lane) =>
            {
                var scan = _catalog.Scan(record.ScanId);
                if (scan is null || !scan.OwnsJob(record.JobId)) return RebuildTag.Orphan;
                lanes[lane].TallyOf(scan).Add(in record);
                if (record.Status == JobStatus.Queued)
                {
                    var home = record.Has(JobFlags.Pooled) && ReadSpec(record.JobId).Pool is { } pool ? _queues.ForPool(pool) : _queues.For(record.ScannerId);
                    return RebuildTag.QueuedIn(queues.NumberOf(home.For(scan.Spec.Capability, record.Has(JobFlags.Automated))));
                }
                return record.Status is JobStatus.Claimed or JobStatus.Running ? RebuildTag.HeldBy(holders.NumberOf(_queues.For(record.ScannerId))) : RebuildTag.Counted;
            },
            takeBack: (in JobRecord record, int lane) =>
            {
                if (_catalog.Scan(record.ScanId) is { } scan && scan.OwnsJob(record.JobId)) lanes[lane].TallyOf(scan).Remove(in record);
            });
        foreach (var lane in lanes)
            foreach (var (scan, tally) in lane.Tallies) scan.Tally.AddFrom(tally);
        var queueOf = queues.ByNumber();
        var holderOf = holders.ByNumber();
        long live = 0, orphans = 0, lowest = 0;
        newest.ForEachLive((jobId, tag) =>
        {
            switch (RebuildTag.Kind(tag))
            {
                case RebuildTag.Orphan:
                    RemoveJobRecord(jobId);
                    orphans++;
                    return;
                case RebuildTag.Queued:
                    queueOf[RebuildTag.Number(tag)].Fresh.Enqueue(jobId);
                    break;
                case RebuildTag.Held:
                    holderOf[RebuildTag.Number(tag)].Active[jobId] = 0;
                    break;
            }
            live++;
            if (lowest == 0) lowest = jobId;
        });
        _lowestJobId = lowest == 0 ? Math.Max(floor, highWater + 1) : lowest;
        return (live, orphans);
    }

    /// <summary>What the rebuild keeps with a job's newest record: how it counts, and the queue or holder it has by number.</summary>
    private static class RebuildTag
    {
        public const int Counted = 0, Orphan = 1, Queued = 2, Held = 3;
        private const int KindBits = 2;

        /// <summary>Queues and holders a store may have at most (the tag's bits above the kind).</summary>
        public const int MaxNumber = (1 << (NewestVersions.TagBits - KindBits)) - 1;

        public static int QueuedIn(int queue) => queue << KindBits | Queued;

        public static int HeldBy(int holder) => holder << KindBits | Held;

        public static int Kind(int tag) => tag & ((1 << KindBits) - 1);

        public static int Number(int tag) => tag >> KindBits;
    }

    /// <summary>Numbers objects as recovery's lanes meet them, so a job's slot can name one in a few bits.</summary>
    private sealed class Numbering<T> where T : class
    {
        private readonly ConcurrentDictionary<T, int> _numbers = new(ReferenceEqualityComparer.Instance);
        private int _last;

        public int NumberOf(T item) => _numbers.TryGetValue(item, out var number) ? number : _numbers.GetOrAdd(item, _ => Next());

        /// <summary>The objects by their numbers (a number lost to a race between lanes stays empty).</summary>
        public T[] ByNumber()
        {
            var all = new T[_last + 1];
            foreach (var (item, number) in _numbers) all[number] = item;
            return all;
        }

        private int Next()
        {
            var number = Interlocked.Increment(ref _last);
            return number <= RebuildTag.MaxNumber ? number : throw new InvalidOperationException($"recovery met more than {RebuildTag.MaxNumber} claim queues");
        }
    }

    private sealed class RebuildLane
    {
        /// <summary>Counted per thread and merged afterwards, so the two threads never share a cache line.</summary>
        public Dictionary<ScanEntry, ScanTally> Tallies { get; } = [];

        public ScanTally TallyOf(ScanEntry scan) =>
            Tallies.TryGetValue(scan, out var tally) ? tally : Tallies[scan] = new ScanTally();
    }
}
