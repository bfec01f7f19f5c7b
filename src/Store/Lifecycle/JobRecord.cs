using System.Runtime.InteropServices;
using Outpost.Store.Model;

namespace Outpost.Store.Lifecycle;

[Flags]
internal enum JobFlags : byte
{
    None = 0,
    StopRequested = 1,
    Automated = 2,
    /// <summary>A newer attempt re-runs this finished job; it no longer counts towards its scan's outcome.</summary>
    Superseded = 4,
    /// <summary>
    /// Told to stop because a scan window ended (docs/lifecycle.md): its completion puts it back in the queue with its
    /// cursor, without another attempt. Set only together with <see cref="StopRequested"/>; an admin's stop clears it.
    /// </summary>
    Paused = 8,
    /// <summary>The job belongs to a pool (its name is in the job's spec): any member may claim it while it is queued.</summary>
    Pooled = 16,
}

/// <summary>
/// A job's fixed-size, blittable record in the FASTER job log: every field the lifecycle changes, plus the fixed
/// part of its spec. The variable part (name, targets, error text) lives in the blob log, keyed by job id.
/// Times are UTC ticks (0 = not yet). The layout is persisted in checkpoints and the write-ahead log: append only.
/// Kept as a struct copied whole rather than a MessagePack message: a write and read back costs 250 ns against
/// MessagePack 2.5.307's 9 200 ns for the same fields (<c>outpost-bench store codecs</c>, load average 38 on 2 cores,
/// SUMMARY store-codec-job-record ratio=0.027), and FASTER needs a blittable value anyway.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct JobRecord
{
    public long JobId;
    public long ScanId;
    public long ScannerId;
    public long RerunOf;
    public long CreatedAt;
    public long ClaimedAt;
    public long StartedAt;
    public long FinishedAt;
    public long UpdatedAt;
    public long ProgressCount;
    public long ResultCount;
    public int MaxProbesPerSecond;
    public int Attempts;
    public JobStatus Status;
    public JobFlags Flags;
    // The cursor lives in what was the padding before SourceIp: the record keeps its size and every field its offset,
    // so stores written before there was a cursor open unchanged (their padding is zero: cursor 0).
    private ushort _cursorHigh;
    private uint _cursorLow;
    public IpBytes SourceIp;

    public static readonly int Size = Marshal.SizeOf<JobRecord>();

    /// <summary>The permutation index below which every probe was sent (the highest reported); a re-queued job resumes there.</summary>
    public long Cursor
    {
        readonly get => ((long)_cursorHigh << 32) | _cursorLow;
        set
        {
            var cursor = Math.Clamp(value, 0, Job.MaxCursor);
            _cursorLow = (uint)cursor;
            _cursorHigh = (ushort)(cursor >> 32);
        }
    }

    public readonly bool Has(JobFlags flag) => (Flags & flag) != 0;
}
