using Outpost.Store.Model;

namespace Outpost.Store.Lifecycle;

internal enum JobOp : byte
{
    Claim,
    Start,
    Progress,
    Complete,
    Requeue,
    StopOrCancel,
    Supersede,
    Pause,
}

/// <summary>The input of one RMW on a job record: which transition, by whom, with what.</summary>
internal struct JobCommand
{
    public JobOp Op;
    public long ScannerId;
    public long Now;
    public long ProgressCount;
    public long ResultCount;
    public long Cursor;
    public bool Failed;
    public int MaxAttempts;
    public IpBytes SourceIp;
    /// <summary>A claim of a job taken from the claimer's pool queue: any member may claim a pool's job.</summary>
    public bool FromPool;
    /// <summary>Error text logged with a transition to failed (its blob was written before the RMW).</summary>
    public string? ErrorText;
}

/// <summary>The output of one RMW on a job record.</summary>
internal struct JobOutcome
{
    public StoreStatus Status;
    /// <summary>True when the RMW changed the record (and so appended a log entry).</summary>
    public bool Changed;
    /// <summary>The log address to wait for before acknowledging (0 when nothing was logged).</summary>
    public long WalUntil;
    /// <summary>The record after the operation (or as it was, when refused).</summary>
    public JobRecord Record;
}
