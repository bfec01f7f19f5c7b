using System.Text;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;
using Outpost.Store.Queries;

namespace Outpost.Store.Faster;

// Scans: creation and dispatch (which enqueue jobs), stop, re-run and retention. Control path.
public sealed partial class FasterOutpostStore
{
    public async ValueTask<Scan> CreateScanAsync(ScanSpec spec, ScanStatus initialStatus, IReadOnlyList<NewJob> newJobs, DateTimeOffset now, CancellationToken ct = default)
    {
        EnsureWritable();
        if (newJobs.Count == 0 && initialStatus != ScanStatus.Scheduled)
            throw new ArgumentException("a scan without jobs must be created scheduled", nameof(initialStatus));
        var specs = EncodeSpecs(newJobs);
        ScanEntry scan;
        long until;
        lock (_catalog.Mutation)
        {
            var ticks = Ticks.Of(now);
            var status = newJobs.Count > 0 ? ScanStatus.Running : ScanStatus.Scheduled;
            scan = _catalog.ApplyScan(new ScanState(_catalog.NextScanId(), spec, status, ticks, newJobs.Count > 0 ? ticks : 0, 0, []));
            until = EnqueueJobs(scan, newJobs, specs, ticks, rerunOf: 0);
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return scan.ToModel();
    }

    public async ValueTask<(StoreStatus Status, Scan? Scan)> DispatchScanAsync(long scanId, IReadOnlyList<NewJob> newJobs, DateTimeOffset now, CancellationToken ct = default)
    {
        EnsureWritable();
        var specs = EncodeSpecs(newJobs);
        ScanEntry? scan;
        long until;
        lock (_catalog.Mutation)
        {
            scan = _catalog.Scan(scanId);
            if (scan is null) return (StoreStatus.NotFound, null);
            if (newJobs.Count == 0 || !scan.TryMove(ScanStatus.Scheduled, ScanStatus.Running)) return (StoreStatus.InvalidTransition, scan.ToModel());
            scan.StartedAt = Ticks.Of(now);
            until = EnqueueJobs(scan, newJobs, specs, Ticks.Of(now), rerunOf: 0);
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return (StoreStatus.Ok, scan.ToModel());
    }

    /// <summary>
    /// Encodes every job's spec before anything changes: a job too large for one log entry refuses the whole scan
    /// here (all or nothing), instead of failing half-way through the enqueue.
    /// </summary>
    private static byte[][] EncodeSpecs(IReadOnlyList<NewJob> newJobs)
    {
        NewJob.CheckSpecSizes(newJobs);
        var specs = new byte[newJobs.Count][];
        for (var i = 0; i < specs.Length; i++) specs[i] = JobSpecCodec.Encode(newJobs[i].Name, newJobs[i].Targets, newJobs[i].Pool);
        return specs;
    }

    /// <summary>
    /// Writes new queued jobs for a scan, logs them and then the scan that lists them, and only then makes them
    /// claimable. A crash before the scan's entry leaves jobs no scan lists; recovery drops them. The caller
    /// holds the catalog lock, which also keeps each scanner's queue in id order.
    /// </summary>
    private long EnqueueJobs(ScanEntry scan, IReadOnlyList<NewJob> newJobs, byte[][] specs, long now, long rerunOf)
    {
        if (newJobs.Count > 0)
        {
            var range = _catalog.ReserveJobIds(newJobs.Count);
            var entry = WalEntry.Begin();
            for (var i = 0; i < newJobs.Count; i++)
            {
                var job = newJobs[i];
                var record = new JobRecord
                {
                    JobId = range.First + i,
                    ScanId = scan.Id,
                    ScannerId = job.ScannerId,
                    RerunOf = rerunOf,
                    CreatedAt = now,
                    UpdatedAt = now,
                    MaxProbesPerSecond = job.MaxProbesPerSecond,
                    Status = JobStatus.Queued,
                    Flags = (scan.Spec.Automated ? JobFlags.Automated : JobFlags.None) | (job.Pool is null ? JobFlags.None : JobFlags.Pooled),
                };
                var spec = specs[i];
                var ranges = AddressRanges.Encode(job.Targets);
                if (entry.Length > 0 && entry.Length + WalEntry.JobPartsBytes(spec.Length, ranges.Length) > WriteAheadLog.MaxEntryBytes)
                {
                    _wal.Append(entry.Bytes);
                    entry = WalEntry.Begin();
                }
                // The blob goes in before the entry that references it, so a checkpoint never holds one without the other.
                _blobs.Put(record.JobId, BlobKind.Spec, spec);
                _blobs.Put(record.JobId, BlobKind.Ranges, ranges);
                _jobs.Upsert(in record);
                scan.Tally.Add(in record);
                entry.AddJobBlob(record.JobId, BlobKind.Spec, spec);
                entry.AddJobBlob(record.JobId, BlobKind.Ranges, ranges);
                entry.AddJobImage(in record);
            }
            if (entry.Length > 0) _wal.Append(entry.Bytes);
            scan.AddJobRange(range);
        }
        long until;
        lock (scan.Gate) until = LogCatalogChange(new ScanPut(scan.ToState()));
        if (newJobs.Count > 0)
        {
            var first = scan.JobRanges[^1].First;
            for (var i = 0; i < newJobs.Count; i++)
            {
                var home = newJobs[i].Pool is { } pool ? _queues.ForPool(pool) : _queues.For(newJobs[i].ScannerId);
                home.For(scan.Spec.Capability, scan.Spec.Automated).Fresh.Enqueue(first + i);
            }
        }
        return until;
    }

    public Scan? GetScan(long scanId) => _catalog.Scan(scanId)?.ToModel();

    public IReadOnlyList<Scan> ListScans() => [.. _catalog.Scans.OrderByDescending(s => s.Id).Select(s => s.ToModel())];

    public async ValueTask<(StoreStatus Status, Scan? Scan)> StopScanAsync(long scanId, DateTimeOffset now, CancellationToken ct = default)
    {
        EnsureWritable();
        if (_catalog.Scan(scanId) is not { } scan) return (StoreStatus.NotFound, null);
        var ticks = Ticks.Of(now);
        long until;
        lock (scan.Gate)
        {
            var status = scan.Status;
            if (status.IsFinished()) return (StoreStatus.InvalidTransition, scan.ToModel());
            if (status == ScanStatus.Scheduled)
            {
                scan.Set(ScanStatus.Stopped);
                scan.FinishedAt = ticks;
            }
            else if (status == ScanStatus.Running)
            {
                scan.Set(ScanStatus.Stopping);
            }
            until = LogCatalogChange(new ScanPut(scan.ToState()));
        }
        // Each job's change logs itself; the cancellation of the last unfinished one rolls the scan up to stopped.
        var command = new JobCommand { Op = JobOp.StopOrCancel, Now = ticks };
        foreach (var jobId in JobIdsOf(scan))
        {
            var outcome = _jobs.Execute(jobId, ref command);
            until = Math.Max(until, outcome.WalUntil);
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return (StoreStatus.Ok, scan.ToModel());
    }

    public async ValueTask<StoreStatus> DeleteScheduledScanAsync(long scanId, CancellationToken ct = default)
    {
        EnsureWritable();
        long until;
        lock (_catalog.Mutation)
        {
            if (_catalog.Scan(scanId) is not { } scan) return StoreStatus.NotFound;
            if (scan.Status != ScanStatus.Scheduled) return StoreStatus.InvalidTransition;
            until = LogCatalogChange(new ScanRemoved(scanId));
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return StoreStatus.Ok;
    }

    public IReadOnlyList<Job> ListScanJobs(long scanId)
    {
        if (_catalog.Scan(scanId) is not { } scan) return [];
        var result = new List<Job>();
        foreach (var jobId in JobIdsOf(scan))
            if (_jobs.TryRead(jobId, out var record)) result.Add(ToJob(in record));
        return result;
    }

    public async ValueTask<(StoreStatus Status, Job? Job)> RerunAsync(long jobId, DateTimeOffset now, CancellationToken ct = default)
    {
        EnsureWritable();
        if (!_jobs.TryRead(jobId, out var old)) return (StoreStatus.NotFound, null);
        if (!old.Status.IsFinished() || _catalog.Scan(old.ScanId) is not { } scan) return (StoreStatus.InvalidTransition, ToJob(in old));
        var ticks = Ticks.Of(now);
        long until;
        long newId;
        lock (_catalog.Mutation)
        {
            var supersede = new JobCommand { Op = JobOp.Supersede, ScannerId = old.ScannerId, Now = ticks };
            var superseded = _jobs.Execute(jobId, ref supersede);
            if (superseded.Status != StoreStatus.Ok) return (superseded.Status, ToJob(in superseded.Record));
            lock (scan.Gate)
            {
                // The new attempt re-opens a finished scan; it rolls up again when the attempt finishes.
                if (scan.Status is ScanStatus.Completed or ScanStatus.Failed or ScanStatus.Stopped)
                {
                    scan.Set(ScanStatus.Running);
                    scan.FinishedAt = 0;
                }
            }
            var spec = _blobs.Get(jobId, BlobKind.Spec) ?? JobSpecCodec.Encode("", [], null);
            newId = _catalog.JobIdHighWater + 1;
            until = EnqueueJobs(scan, [NewJob.RerunOf(ToJob(in old))], [spec], ticks, rerunOf: jobId);
            until = Math.Max(until, superseded.WalUntil);
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return (StoreStatus.Ok, GetJob(newId));
    }

    public async ValueTask<long> RemoveFinishedBeforeAsync(DateTimeOffset cutoff, CancellationToken ct = default)
    {
        EnsureWritable();
        var cutoffTicks = Ticks.Of(cutoff);
        var removed = new List<long>();
        var highWater = _catalog.JobIdHighWater;
        var jobId = _lowestJobId;
        var firstKept = 0L;
        for (; jobId <= highWater; jobId++)
        {
            if (!_jobs.TryRead(jobId, out var record)) continue;
            if (record.CreatedAt >= cutoffTicks) break;
            if (!record.Status.IsFinished())
            {
                // Old but unfinished: it stays, and so does the floor that queries and retention walk down to.
                if (firstKept == 0) firstKept = jobId;
                continue;
            }
            RemoveJobRecord(jobId);
            _catalog.Scan(record.ScanId)?.Tally.Remove(in record);
            removed.Add(jobId);
        }
        _lowestJobId = firstKept != 0 ? firstKept : jobId;
        long until = 0;
        for (var i = 0; i < removed.Count; i += 100_000)
        {
            var entry = WalEntry.Begin();
            entry.AddJobsRemoved(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(removed).Slice(i, Math.Min(100_000, removed.Count - i)));
            until = _wal.Append(entry.Bytes);
        }
        lock (_catalog.Mutation)
        {
            foreach (var scan in _catalog.Scans.ToList())
                if (scan.Status.IsFinished() && scan.FinishedAt < cutoffTicks && scan.Tally.Counts.Total == 0)
                    until = LogCatalogChange(new ScanRemoved(scan.Id));
        }
        await WaitDurableAsync(until, ct).ConfigureAwait(false);
        return removed.Count;
    }

    private static IEnumerable<long> JobIdsOf(ScanEntry scan)
    {
        foreach (var range in scan.JobRanges)
            for (var id = range.First; id <= range.Last; id++) yield return id;
    }

    private (string Name, IReadOnlyList<JobTarget> Targets, string? Pool) ReadSpec(long jobId) =>
        _blobs.Get(jobId, BlobKind.Spec) is { } bytes ? JobSpecCodec.Decode(bytes) : ("", [], null);

    private Job ToJob(in JobRecord record)
    {
        var (name, targets, pool) = ReadSpec(record.JobId);
        var error = record.Status == JobStatus.Failed && _blobs.Get(record.JobId, BlobKind.Error) is { } text ? Encoding.UTF8.GetString(text) : null;
        return new Job
        {
            JobId = record.JobId,
            ScanId = record.ScanId,
            ScannerId = record.ScannerId,
            Pool = pool,
            Name = name,
            Targets = targets,
            MaxProbesPerSecond = record.MaxProbesPerSecond,
            RerunOf = record.RerunOf == 0 ? null : record.RerunOf,
            Automated = record.Has(JobFlags.Automated),
            Status = record.Status,
            Attempts = record.Attempts,
            ProgressCount = record.ProgressCount,
            ResultCount = record.ResultCount,
            Cursor = record.Cursor,
            StopRequested = record.Has(JobFlags.StopRequested),
            SourceIp = record.SourceIp.ToString(),
            ErrorMessage = error,
            CreatedAt = Ticks.ToTime(record.CreatedAt),
            ClaimedAt = Ticks.ToTimeOrNull(record.ClaimedAt),
            StartedAt = Ticks.ToTimeOrNull(record.StartedAt),
            FinishedAt = Ticks.ToTimeOrNull(record.FinishedAt),
            UpdatedAt = Ticks.ToTimeOrNull(record.UpdatedAt),
        };
    }
}
