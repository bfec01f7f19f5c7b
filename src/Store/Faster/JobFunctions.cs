using FASTER.core;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

/// <summary>
/// FASTER callbacks for the job log. Every RMW decides with <see cref="JobTransitions"/>, writes the new record,
/// and — exactly once, after the record is in place and while its bucket is still latched — moves its scan's
/// tally and appends the redo entry to the write-ahead log. Logging under the latch keeps the log's order per
/// job equal to the order the changes were applied in, which is what makes replay an idempotent upsert.
/// Side effects live in <c>InPlaceUpdater</c> and <c>PostCopyUpdater</c>: FASTER may call <c>CopyUpdater</c>
/// again if its record insertion loses a race, so it must stay pure.
/// Hot path: no allocation (the error text of a failure is encoded into the per-thread entry buffer).
/// </summary>
internal sealed class JobFunctions(WriteAheadLog wal, Catalog catalog) : FunctionsBase<long, JobRecord, JobCommand, JobOutcome, Empty>
{
    public override bool NeedInitialUpdate(ref long key, ref JobCommand input, ref JobOutcome output, ref RMWInfo rmwInfo)
    {
        output.Status = StoreStatus.NotFound;
        return false;
    }

    public override bool InPlaceUpdater(ref long key, ref JobCommand input, ref JobRecord value, ref JobOutcome output, ref RMWInfo rmwInfo)
    {
        var before = value;
        output.Changed = JobTransitions.Decide(ref input, in before, out var after, out output.Status);
        if (output.Changed)
        {
            value = after;
            output.WalUntil = LogChange(ref input, in before, in after);
        }
        output.Record = value;
        return true;
    }

    public override bool NeedCopyUpdate(ref long key, ref JobCommand input, ref JobRecord oldValue, ref JobOutcome output, ref RMWInfo rmwInfo)
    {
        if (JobTransitions.Decide(ref input, in oldValue, out _, out output.Status)) return true;
        output.Changed = false;
        output.Record = oldValue;
        return false;
    }

    public override bool CopyUpdater(ref long key, ref JobCommand input, ref JobRecord oldValue, ref JobRecord newValue, ref JobOutcome output, ref RMWInfo rmwInfo)
    {
        JobTransitions.Decide(ref input, in oldValue, out newValue, out output.Status);
        return true;
    }

    public override void PostCopyUpdater(ref long key, ref JobCommand input, ref JobRecord oldValue, ref JobRecord newValue, ref JobOutcome output, ref RMWInfo rmwInfo)
    {
        output.Changed = true;
        output.Record = newValue;
        output.WalUntil = LogChange(ref input, in oldValue, in newValue);
    }

    public override bool SingleReader(ref long key, ref JobCommand input, ref JobRecord value, ref JobOutcome dst, ref ReadInfo readInfo)
    {
        dst.Record = value;
        dst.Status = StoreStatus.Ok;
        return true;
    }

    public override bool ConcurrentReader(ref long key, ref JobCommand input, ref JobRecord value, ref JobOutcome dst, ref ReadInfo readInfo) =>
        SingleReader(ref key, ref input, ref value, ref dst, ref readInfo);

    public override bool SingleWriter(ref long key, ref JobCommand input, ref JobRecord src, ref JobRecord dst, ref JobOutcome output, ref UpsertInfo upsertInfo, WriteReason reason)
    {
        dst = src;
        return true;
    }

    public override bool ConcurrentWriter(ref long key, ref JobCommand input, ref JobRecord src, ref JobRecord dst, ref JobOutcome output, ref UpsertInfo upsertInfo)
    {
        dst = src;
        return true;
    }

    private long LogChange(ref JobCommand input, in JobRecord before, in JobRecord after)
    {
        var entry = WalEntry.Begin();
        entry.AddJobImage(in after);
        if (input.ErrorText is { } error && after.Status == JobStatus.Failed && before.Status != JobStatus.Failed)
            entry.AddJobText(after.JobId, BlobKind.Error, error);

        var scan = catalog.Scan(after.ScanId);
        if (scan is null || !scan.Tally.Move(in before, in after)) return wal.Append(entry.Bytes);

        // This change finished the scan's last job: roll the scan up in the same entry, under the scan's gate so
        // the log orders it against the scan's other status changes.
        lock (scan.Gate)
        {
            if (scan.TryRollUp(after.UpdatedAt) is { } rolledUp) entry.AddScanStatus(scan.Id, rolledUp, after.UpdatedAt);
            return wal.Append(entry.Bytes);
        }
    }
}
