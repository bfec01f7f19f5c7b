using Outpost.Store.Model;

namespace Outpost.Store;

/// <summary>
/// The job store's contract: what the daemon, the scheduler and the UI may ask of a store, whatever its backend
/// (embedded FASTER by default, PostgreSQL for scale-out). Every method that changes state completes only once
/// the change is durable, so a caller may acknowledge it; a refused change returns a status and changes nothing.
/// Times are passed in (from the caller's <see cref="TimeProvider"/>) so tests can drive the clock.
/// </summary>
public interface IOutpostStore : IAsyncDisposable
{
    // ---- Scanners -------------------------------------------------------------------------------------------

    ValueTask<Scanner> CreateScannerAsync(string name, byte[] apiKeyHash, IReadOnlyList<string> allowedCidrs,
        int? maxProbesPerSecond, DateTimeOffset now, string? pool = null, CancellationToken ct = default);

    Scanner? GetScanner(long scannerId);

    /// <summary>The scanner whose API key hashes to <paramref name="apiKeyHash"/> (SHA-256), or null.</summary>
    Scanner? FindScannerByKeyHash(ReadOnlySpan<byte> apiKeyHash);

    IReadOnlyList<Scanner> ListScanners();

    ValueTask<(StoreStatus Status, Scanner? Scanner)> UpdateScannerAsync(long scannerId, ScannerPatch patch, CancellationToken ct = default);

    /// <summary>Replaces the key hash: the old key stops working as soon as this returns.</summary>
    ValueTask<(StoreStatus Status, Scanner? Scanner)> RotateScannerKeyAsync(long scannerId, byte[] newApiKeyHash, CancellationToken ct = default);

    /// <summary>Records a heartbeat; a null <paramref name="capabilities"/> leaves the advertised capabilities as they were.</summary>
    ValueTask<StoreStatus> RecordHeartbeatAsync(long scannerId, DateTimeOffset at, string? sourceIp, string? version,
        IReadOnlyList<ScannerCapability>? capabilities = null, CancellationToken ct = default);

    // ---- Scans ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Creates a scan and enqueues its jobs in one commit. With no jobs and <see cref="ScanStatus.Scheduled"/> the
    /// scan waits for <see cref="DispatchScanAsync"/>.
    /// </summary>
    ValueTask<Scan> CreateScanAsync(ScanSpec spec, ScanStatus initialStatus, IReadOnlyList<NewJob> newJobs, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Enqueues the jobs of a scheduled scan and moves it to running, in one commit.</summary>
    ValueTask<(StoreStatus Status, Scan? Scan)> DispatchScanAsync(long scanId, IReadOnlyList<NewJob> newJobs, DateTimeOffset now, CancellationToken ct = default);

    Scan? GetScan(long scanId);

    /// <summary>All scans, newest first.</summary>
    IReadOnlyList<Scan> ListScans();

    /// <summary>
    /// Stops a scan (docs/lifecycle.md): queued jobs are cancelled at once; claimed and running jobs are flagged to stop and
    /// the scan is stopping until they complete; with none, it is stopped at once. Stopping a finished scan is
    /// <see cref="StoreStatus.InvalidTransition"/>; stopping a stopping scan is a no-op success.
    /// </summary>
    ValueTask<(StoreStatus Status, Scan? Scan)> StopScanAsync(long scanId, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Removes a scan that has not dispatched jobs yet (a scheduled one).</summary>
    ValueTask<StoreStatus> DeleteScheduledScanAsync(long scanId, CancellationToken ct = default);

    IReadOnlyList<Job> ListScanJobs(long scanId);

    // ---- Job lifecycle (the scanner protocol's hot path) ----------------------------------------------------

    /// <summary>
    /// Claims up to <paramref name="max"/> of the scanner's queued jobs, oldest first, and then, when it has room left,
    /// of the queued jobs of its <paramref name="pool"/> (which any member may claim; the claimer becomes the job's
    /// scanner). Each moves queued → claimed in one atomic step, so no job is ever handed to two claimers. Within
    /// each of the two queues, jobs of manual scans come first; jobs of
    /// automated (scheduled, recurring) scans only when <paramref name="automatedAllowed"/> — outside the scan
    /// windows, or while scheduling is paused, they wait in the queue. With <paramref name="jobNames"/>, only jobs of
    /// those names (the capabilities the scanner advertised) are handed out; the others wait for a scanner that can
    /// run them. Null hands out jobs of any name.
    /// </summary>
    ValueTask<IReadOnlyList<Job>> ClaimAsync(long scannerId, int max, string? sourceIp, DateTimeOffset now, bool automatedAllowed = true,
        IReadOnlyList<string>? jobNames = null, string? pool = null, CancellationToken ct = default);

    /// <summary>claimed → running; repeated on a running job it is an idempotent success.</summary>
    ValueTask<JobUpdate> StartAsync(long scannerId, long jobId, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>
    /// Records progress; counts and the <paramref name="cursor"/> (the permutation index below which every probe was
    /// sent, docs/protocol.md) never go down: a lower value than stored is ignored.
    /// </summary>
    ValueTask<JobUpdate> ProgressAsync(long scannerId, long jobId, long progressCount, long resultCount, long cursor, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>
    /// running → completed | failed (also claimed → failed, and claimed → either once the job was told to stop);
    /// repeated with the same status it is an idempotent success.
    /// When it finishes the scan's last job the scan rolls up in the same commit.
    /// </summary>
    ValueTask<JobUpdate> CompleteAsync(long scannerId, long jobId, bool failed, long? resultCount, string? errorMessage, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>
    /// The one way a held job goes back to the queue (docs/lifecycle.md): claimed and running jobs of the scanner move
    /// to queued, each with one more attempt, in the queue they came from — the scanner's own for a job assigned to
    /// it, its pool's for a pool's job (any member claims it next); jobs that reached <paramref name="maxAttempts"/>
    /// fail instead, with a reason naming <paramref name="cause"/>. <paramref name="jobIds"/> null re-queues every job
    /// the scanner holds (it went offline); otherwise only those of them it still holds (leases lost). A later
    /// start, progress or complete from the old holder is refused, so it drops the job.
    /// </summary>
    ValueTask<RequeueResult> RequeueAsync(long scannerId, IReadOnlyCollection<long>? jobIds, RequeueCause cause, int maxAttempts, DateTimeOffset now,
        CancellationToken ct = default);

    /// <summary>
    /// A scan window ended (docs/lifecycle.md): every claimed and running job of an automated scan is told to stop, as by
    /// an admin's stop; when its scanner completes it, it goes back to the queue with its cursor and without another
    /// attempt, and resumes when automated jobs may be claimed again. Manual jobs are untouched. Returns how many
    /// jobs were told.
    /// </summary>
    ValueTask<int> PauseAutomatedJobsAsync(DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Creates a new attempt of a finished job (new id, <c>RerunOf</c> the old one, same scan and targets).</summary>
    ValueTask<(StoreStatus Status, Job? Job)> RerunAsync(long jobId, DateTimeOffset now, CancellationToken ct = default);

    Job? GetJob(long jobId);

    /// <summary>The scanner's claimed and running jobs.</summary>
    IReadOnlyList<Job> ListActiveJobs(long scannerId);

    JobPage QueryJobs(JobQuery query);

    // ---- Documents: settings, schedules and other small named records ----------------------------------------

    string? GetDocument(string collection, string key);

    IReadOnlyList<KeyValuePair<string, string>> ListDocuments(string collection);

    ValueTask PutDocumentAsync(string collection, string key, string json, CancellationToken ct = default);

    ValueTask<bool> DeleteDocumentAsync(string collection, string key, CancellationToken ct = default);

    // ---- Alarms ---------------------------------------------------------------------------------------------

    ValueTask RaiseAlarmAsync(Alarm alarm, CancellationToken ct = default);

    ValueTask ClearAlarmAsync(string kind, string subject, CancellationToken ct = default);

    IReadOnlyList<Alarm> ListAlarms();

    // ---- Maintenance ----------------------------------------------------------------------------------------

    /// <summary>
    /// Removes finished jobs created before <paramref name="cutoff"/>, and finished scans left without jobs; returns how
    /// many jobs. The removed scans' findings are in the records database (<c>FindingsTable.RemoveGoneScansAsync</c>).
    /// </summary>
    ValueTask<long> RemoveFinishedBeforeAsync(DateTimeOffset cutoff, CancellationToken ct = default);
}

/// <summary>The result of a lifecycle call: its status and whether the scanner must stop the job.</summary>
public readonly record struct JobUpdate(StoreStatus Status, bool StopRequested = false)
{
    public static JobUpdate Of(StoreStatus status) => new(status);
}

/// <summary>What <see cref="IOutpostStore.RequeueAsync"/> did.</summary>
public readonly record struct RequeueResult(int Requeued, int FailedOverAttempts);
