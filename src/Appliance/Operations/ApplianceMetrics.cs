using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.ScannerProtocol;
using Outpost.Store.Model;

namespace Outpost.Appliance.Operations;

/// <summary>
/// The daemon's own instruments (meter <c>Outpost.Appliance</c>). Request latency is not here: ASP.NET Core's
/// <c>http.server.request.duration</c> already measures it and <see cref="PrometheusExporter"/> exports it.
/// </summary>
public sealed class ApplianceMetrics
{
    public const string MeterName = "Outpost.Appliance";

    private readonly Counter<long> _claimed;
    private readonly Counter<long> _finished;
    private readonly Histogram<double> _commit;
    private readonly StoreLifetime _store;
    private readonly OutpostOptions _options;
    private readonly TimeProvider _clock;

    public ApplianceMetrics(IMeterFactory meterFactory, StoreLifetime store, IOptions<OutpostOptions> options, TimeProvider clock)
    {
        _store = store;
        _options = options.Value;
        _clock = clock;
        var meter = meterFactory.Create(MeterName);
        _claimed = meter.CreateCounter<long>("outpost.jobs.claimed", "{job}", "Jobs handed to scanners by claims.");
        _finished = meter.CreateCounter<long>("outpost.jobs.finished", "{job}", "Jobs that scanners reported completed or failed.");
        _commit = meter.CreateHistogram<double>("outpost.store.commit.duration", "s",
            "Time a scanner request waited for the store to make its change durable.");
        meter.CreateObservableGauge("outpost.jobs", ObserveJobs, "{job}", "Jobs by status, over all scans in the store.");
        meter.CreateObservableGauge("outpost.scanners.online", ObserveOnline, "{scanner}", "Scanners whose last heartbeat is within the timeout.");
    }

    public void Claimed(int count)
    {
        if (count > 0)
        {
            _claimed.Add(count);
        }
    }

    public void Finished(bool failed) => _finished.Add(1, new KeyValuePair<string, object?>("status", failed ? "failed" : "completed"));

    /// <summary>Records how long a durable store operation took, from <see cref="TimeProvider.GetTimestamp"/> at its start.</summary>
    public void Committed(string operation, long startTimestamp) =>
        _commit.Record(TimeProvider.System.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("operation", operation));

    private IEnumerable<Measurement<long>> ObserveJobs()
    {
        if (!_store.Ready)
        {
            return [];
        }

        long queued = 0, claimed = 0, running = 0, completed = 0, failed = 0, cancelled = 0;
        foreach (var scan in _store.Store.ListScans())
        {
            var jobs = scan.Jobs;
            queued += jobs.Queued;
            claimed += jobs.Claimed;
            running += jobs.Running;
            completed += jobs.Completed;
            failed += jobs.Failed;
            cancelled += jobs.Cancelled;
        }

        return
        [
            Status(queued, JobStatus.Queued), Status(claimed, JobStatus.Claimed), Status(running, JobStatus.Running),
            Status(completed, JobStatus.Completed), Status(failed, JobStatus.Failed), Status(cancelled, JobStatus.Cancelled),
        ];

        static Measurement<long> Status(long value, JobStatus status) => new(value, new KeyValuePair<string, object?>("status", status.ToWire()));
    }

    private int ObserveOnline()
    {
        if (!_store.Ready)
        {
            return 0;
        }

        var now = _clock.GetUtcNow();
        var online = 0;
        foreach (var scanner in _store.Store.ListScanners())
        {
            if (ScannerPresence.IsOnline(scanner, now, _options.Scanners))
            {
                online++;
            }
        }

        return online;
    }
}
