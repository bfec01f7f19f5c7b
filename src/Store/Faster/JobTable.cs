using FASTER.core;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;
using JobSession = FASTER.core.ClientSession<long, Outpost.Store.Lifecycle.JobRecord, Outpost.Store.Lifecycle.JobCommand, Outpost.Store.Lifecycle.JobOutcome, FASTER.core.Empty, Outpost.Store.Faster.JobFunctions>;

namespace Outpost.Store.Faster;

/// <summary>
/// Job records in a FasterKV keyed by job id: the hot, lock-free part of the store. Every lifecycle change is one
/// RMW (see <see cref="JobFunctions"/>); records beyond the configured memory spill to the log device.
/// </summary>
internal sealed class JobTable : IGrowableIndex, IDisposable
{
    private readonly IDevice _device;
    private readonly FasterKV<long, JobRecord> _kv;
    private readonly SessionPool<JobSession> _sessions;

    public JobTable(string directory, FasterStoreOptions options, JobFunctions functions)
    {
        _device = FasterKvTables.Device(directory, "jobs");
        _kv = new FasterKV<long, JobRecord>(FasterKvTables.Settings<long, JobRecord>(options, "jobs", _device, options.JobMemorySizeBits, options.JobIndexBuckets));
        _sessions = new SessionPool<JobSession>(() => _kv.For(functions).NewSession<JobFunctions>());
    }

    /// <summary>Runs one lifecycle RMW. Synchronous: a record on disk is read in place of waiting asynchronously.</summary>
    public JobOutcome Execute(long jobId, ref JobCommand command)
    {
        var session = _sessions.Rent();
        try
        {
            JobOutcome outcome = default;
            var status = session.RMW(ref jobId, ref command, ref outcome);
            return status.IsPending ? CompletePending(session) : outcome;
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    public bool TryRead(long jobId, out JobRecord record)
    {
        var session = _sessions.Rent();
        try
        {
            return TryRead(session, jobId, out record);
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    /// <summary>
    /// Reads the newest version of every job record with an id in <paramref name="first"/>..<paramref name="last"/>
    /// front to back in large sequential reads rather than looking ids up one by one (a lookup of a record that is
    /// only on disk is one random read: 10 M jobs took 54 s that way). The log holds older versions too: every record
    /// that is not a deletion is counted as it is met (<paramref name="count"/>, which returns its tag), and the ones a
    /// newer version superseded are read again from the pages that hold them and taken back
    /// (<paramref name="takeBack"/>); a log written once is read once. Both steps run on <paramref name="lanes"/>
    /// threads over consecutive page ranges, each call told its lane. Runs before the store serves.
    /// </summary>
    public NewestVersions ReadNewest(long first, long last, int lanes, JobTagger count, JobLaneVisitor takeBack)
    {
        var bounds = LaneBounds(lanes);
        var newest = new NewestVersions(first, last, bounds[0], bounds[lanes]);
        try
        {
            RecoveryThreads.RunLanes(lanes, lane =>
            {
                using var scan = _kv.Log.Scan(bounds[lane], bounds[lane + 1]);
                while (scan.GetNext(out var info))
                {
                    var jobId = scan.GetKey();
                    if (newest.Holds(jobId)) newest.Note(jobId, scan.CurrentAddress, info.Tombstone ? 0 : count(in scan.GetValue(), lane), info.Tombstone);
                }
            });
            RecoveryThreads.RunLanes(lanes, lane =>
            {
                foreach (var (from, to) in newest.SupersededRuns(bounds[lane], bounds[lane + 1]))
                {
                    using var scan = _kv.Log.Scan(from, to);
                    while (scan.GetNext(out var info))
                    {
                        var jobId = scan.GetKey();
                        if (!info.Tombstone && newest.Holds(jobId) && newest.IsSuperseded(jobId, scan.CurrentAddress)) takeBack(in scan.GetValue(), lane);
                    }
                }
            });
            return newest;
        }
        catch
        {
            newest.Dispose();
            throw;
        }
    }

    /// <summary>Splits the log into <paramref name="lanes"/> ranges at page boundaries: a record never spans a page, so a lane can start reading there.</summary>
    private long[] LaneBounds(int lanes)
    {
        var (begin, tail) = (_kv.Log.BeginAddress, _kv.Log.TailAddress);
        var pageBytes = 1L << FasterKvTables.PageSizeBits;
        var bounds = new long[lanes + 1];
        for (var lane = 0; lane <= lanes; lane++)
            bounds[lane] = lane == 0 ? begin : lane == lanes ? tail : Math.Clamp((begin + (tail - begin) / lanes * lane) / pageBytes * pageBytes, begin, tail);
        return bounds;
    }

    private static bool TryRead(JobSession session, long jobId, out JobRecord record)
    {
        JobCommand input = default;
        JobOutcome output = default;
        var status = session.Read(ref jobId, ref input, ref output);
        if (status.IsPending)
        {
            session.CompletePendingWithOutputs(out var completed, wait: true);
            using (completed)
            {
                status = completed.Next() ? completed.Current.Status : default;
                output = completed.Current.Output;
            }
        }
        record = output.Record;
        return status.Found;
    }

    /// <summary>Writes a whole record: a new job, or recovery's replay of a logged image.</summary>
    public void Upsert(in JobRecord record)
    {
        var session = _sessions.Rent();
        try
        {
            var key = record.JobId;
            var value = record;
            session.Upsert(ref key, ref value);
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    public void Delete(long jobId)
    {
        var session = _sessions.Rent();
        try
        {
            session.Delete(ref jobId);
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    public ValueTask CheckpointAsync(bool withIndex) => FasterKvTables.CheckpointAsync(_kv, withIndex, "job");

    /// <summary>Restores the latest checkpoint (the store has one: see <see cref="FasterOutpostStore"/>).</summary>
    public void Recover(string directory) => FasterKvTables.Recover(_kv, directory, "jobs");

    public long LogBegin => _kv.Log.BeginAddress;

    public long LogTail => _kv.Log.TailAddress;

    public long IndexBuckets => _kv.IndexSize;

    public void GrowIndex() => FasterKvTables.GrowIndex(_kv, "job");

    /// <summary>Copies the live records of the read-only part of the log forward; the next checkpoint drops the files before them.</summary>
    public long Compact()
    {
        var session = _sessions.Rent();
        try
        {
            return FasterKvTables.Compact(_kv, session);
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    private static JobOutcome CompletePending(JobSession session)
    {
        session.CompletePendingWithOutputs(out var completed, wait: true);
        using (completed)
        {
            return completed.Next() ? completed.Current.Output : new JobOutcome { Status = StoreStatus.NotFound };
        }
    }

    public void Dispose()
    {
        _sessions.Dispose();
        _kv.Dispose();
        _device.Dispose();
    }
}

internal delegate void JobLaneVisitor(in JobRecord record, int lane);

/// <summary>Counts a record recovery meets and returns the tag it keeps with it (see <see cref="NewestVersions"/>).</summary>
internal delegate int JobTagger(in JobRecord record, int lane);
