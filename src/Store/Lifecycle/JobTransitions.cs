using Outpost.Store.Model;

namespace Outpost.Store.Lifecycle;

/// <summary>
/// The job lifecycle of docs/lifecycle.md as one pure function: given a command and a record, the outcome and the next
/// record. It runs inside FASTER's RMW callbacks while the record's bucket is latched, so deciding and writing
/// are one atomic step: two claimers can never both see "queued". Hot path: no allocation, no locks, no throwing.
/// </summary>
internal static class JobTransitions
{
    /// <summary>Returns true when <paramref name="next"/> differs from <paramref name="current"/> and must be written.</summary>
    public static bool Decide(ref JobCommand command, in JobRecord current, out JobRecord next, out StoreStatus status)
    {
        next = current;
        status = StoreStatus.Ok;
        var ownedByCaller = current.ScannerId == command.ScannerId;
        switch (command.Op)
        {
            case JobOp.Claim:
                // A pool's job goes to whichever member claims it; it then holds it like a job assigned to it.
                if (current.Status != JobStatus.Queued || !(ownedByCaller || (command.FromPool && current.Has(JobFlags.Pooled))))
                {
                    status = StoreStatus.InvalidTransition;
                    return false;
                }
                next.Status = JobStatus.Claimed;
                next.ScannerId = command.ScannerId;
                next.ClaimedAt = command.Now;
                next.SourceIp = command.SourceIp;
                break;

            case JobOp.Start:
                if (!ownedByCaller) return Refuse(StoreStatus.NotOwned, out status);
                if (current.Status == JobStatus.Running) return false;
                if (current.Status != JobStatus.Claimed) return Refuse(StoreStatus.InvalidTransition, out status);
                next.Status = JobStatus.Running;
                next.StartedAt = command.Now;
                break;

            case JobOp.Progress:
                if (!ownedByCaller) return Refuse(StoreStatus.NotOwned, out status);
                if (current.Status != JobStatus.Running) return Refuse(StoreStatus.InvalidTransition, out status);
                // Counts and the cursor never go down: a late, lower report is ignored.
                if (command.ProgressCount <= current.ProgressCount && command.ResultCount <= current.ResultCount && command.Cursor <= current.Cursor) return false;
                next.ProgressCount = Math.Max(current.ProgressCount, command.ProgressCount);
                next.ResultCount = Math.Max(current.ResultCount, command.ResultCount);
                next.Cursor = Math.Max(current.Cursor, command.Cursor);
                break;

            case JobOp.Complete:
                if (!ownedByCaller) return Refuse(StoreStatus.NotOwned, out status);
                var target = command.Failed ? JobStatus.Failed : JobStatus.Completed;
                if (current.Status == target) return false;
                // A scanner may give up on a claimed job it could not start, or finish one it was told to stop.
                var mayFinish = current.Status == JobStatus.Running
                    || (current.Status == JobStatus.Claimed && (command.Failed || current.Has(JobFlags.StopRequested)));
                if (!mayFinish) return Refuse(StoreStatus.InvalidTransition, out status);
                // Paused at a window's end: back to the queue to resume from its cursor in the next window, no attempt spent.
                if (current.Has(JobFlags.Paused) && !command.Failed)
                {
                    BackToQueue(ref next);
                    next.ResultCount = Math.Max(current.ResultCount, command.ResultCount);
                    break;
                }
                next.Status = target;
                next.FinishedAt = command.Now;
                next.ResultCount = Math.Max(current.ResultCount, command.ResultCount);
                break;

            case JobOp.Requeue:
                if (!ownedByCaller) return Refuse(StoreStatus.NotOwned, out status);
                if (current.Status is not (JobStatus.Claimed or JobStatus.Running)) return Refuse(StoreStatus.InvalidTransition, out status);
                if (current.Attempts >= command.MaxAttempts)
                {
                    next.Status = JobStatus.Failed;
                    next.FinishedAt = command.Now;
                }
                else
                {
                    BackToQueue(ref next);
                    next.Attempts = current.Attempts + 1;
                }
                break;

            case JobOp.StopOrCancel:
                if (current.Status == JobStatus.Queued)
                {
                    next.Status = JobStatus.Cancelled;
                    next.FinishedAt = command.Now;
                }
                else if (current.Status is JobStatus.Claimed or JobStatus.Running && (!current.Has(JobFlags.StopRequested) || current.Has(JobFlags.Paused)))
                {
                    // An admin's stop overrides a window's pause: the job finishes instead of going back to the queue.
                    next.Flags = (next.Flags | JobFlags.StopRequested) & ~JobFlags.Paused;
                }
                else
                {
                    return false;
                }
                break;

            case JobOp.Pause:
                if (current.Status is not (JobStatus.Claimed or JobStatus.Running) || !current.Has(JobFlags.Automated)
                    || current.Has(JobFlags.StopRequested)) return false;
                next.Flags |= JobFlags.StopRequested | JobFlags.Paused;
                break;

            case JobOp.Supersede:
                if (!current.Status.IsFinished()) return Refuse(StoreStatus.InvalidTransition, out status);
                if (current.Has(JobFlags.Superseded)) return false;
                next.Flags |= JobFlags.Superseded;
                break;
        }
        next.UpdatedAt = command.Now;
        return true;
    }

    /// <summary>Queued again for a claim: the cursor stays, a pause's stop is forgotten (a scan stop's flag stays for the next holder).</summary>
    private static void BackToQueue(ref JobRecord next)
    {
        if (next.Has(JobFlags.Paused)) next.Flags &= ~(JobFlags.StopRequested | JobFlags.Paused);
        next.Status = JobStatus.Queued;
        next.ClaimedAt = 0;
        next.StartedAt = 0;
    }

    private static bool Refuse(StoreStatus refusal, out StoreStatus status)
    {
        status = refusal;
        return false;
    }
}
