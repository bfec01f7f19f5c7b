using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Alarms;
using Outpost.Appliance.Capabilities;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Planning;
using Outpost.Appliance.ScannerProtocol;
using Outpost.Appliance.Scheduling;
using Outpost.Appliance.Vulnerabilities;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Portscan;
using Outpost.Probe.Capture;
using Outpost.Probe.Engine;
using Outpost.Probe.Guard;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;
using Outpost.Store;
using Outpost.Store.Model;
using Outpost.Store.Records.Capabilities;

namespace Outpost.Appliance.BuiltInScanner;

/// <summary>
/// The appliance's built-in scanner: the probe engine in-process, as a scanner named <c>local</c> that claims its jobs
/// from the store (<see cref="StoreScannerProtocol"/>) and runs them with the same <see cref="JobRunner"/> as a remote
/// node, so lifecycle, progress, findings and stops behave identically.
///
/// Each tick: register on first start (the scanner's id is kept in a store document, so restarts reuse it); heartbeat;
/// pass on stops; check raw packet access; claim what there is room for. Without raw packet access (CAP_NET_RAW, libpcap)
/// it stops advertising the port scan, so it is handed no port scan jobs instead of failing them, raises the
/// <see cref="AlarmKinds.ScannerUnhealthy"/> alarm saying why, and goes on running the capabilities that use ordinary
/// connections (fingerprint, crawler, screenshot where Chromium is); the alarm clears once the access is there.
///
/// Jobs it held when the appliance last stopped (a crash, or a shutdown that outlasted the grace) cannot be resumed —
/// the engine keeps no state — so on start they are completed as failed, saying so; an admin can re-run them.
/// </summary>
public sealed partial class LocalScanner : LoopService
{
    /// <summary>Where the built-in scanner's id is kept.</summary>
    public const string DocumentCollection = "built-in-scanner";
    public const string DocumentKey = "scanner-id";

    private readonly StoreLifetime _storeLifetime;
    private readonly FindingsIntake _intake;
    private readonly LeaseReconciler _leases;
    private readonly IServiceProvider _services;
    private readonly DispatchGate _gate;
    private readonly TimeProvider _clock;
    private readonly IRawPacketAccess _rawAccess;
    private readonly BuiltInScannerOptions _options;
    private readonly ILogger _logger;
    private readonly string _version = "built-in " + (typeof(LocalScanner).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
    private JobPoller? _poller;
    // Jobs started by a poller that a re-registration replaced: the shutdown still waits for them.
    private Task _replaced = Task.CompletedTask;
    private long _scannerId;
    // Null until the first check, so a restarted appliance raises or clears whatever alarm the last run left.
    private bool? _unhealthy;

    public LocalScanner(StoreLifetime storeLifetime, DispatchGate gate, FindingsIntake intake, LeaseReconciler leases, IServiceProvider services,
        IRawPacketAccess rawAccess, IOptions<OutpostOptions> options, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<LocalScanner> logger)
        : base(BackgroundLoop.BuiltInScanner, clock, lifetime, logger)
    {
        _storeLifetime = storeLifetime;
        _gate = gate;
        _intake = intake;
        _leases = leases;
        _services = services;
        _clock = clock;
        _rawAccess = rawAccess;
        _options = options.Value.BuiltInScanner;
        _logger = logger;
    }

    /// <summary>The built-in scanner's id once registered (0 before the first tick).</summary>
    public long ScannerId => Volatile.Read(ref _scannerId);

    protected override TimeSpan? Period => _options.Enabled ? _options.PollInterval : null;

    protected override async ValueTask TickAsync(CancellationToken ct)
    {
        var store = _storeLifetime.Store;
        if (_poller is null || store.GetScanner(_scannerId) is null)
        {
            await RegisterAsync(store, ct);
        }

        var scanner = store.GetScanner(_scannerId);
        if (scanner is not { Enabled: true })
        {
            // An admin disabled it: like a remote scanner with a disabled key, it does nothing.
            return;
        }

        if (_rawAccess.Problem() is { } problem)
        {
            if (_unhealthy != true)
            {
                _unhealthy = true;
                LogUnhealthy(_logger, problem);
                await store.RaiseAlarmAsync(new Alarm(AlarmKinds.ScannerUnhealthy, ScannerSupervisor.ScannerSubject(_scannerId),
                    $"The built-in scanner '{BuiltInScannerOptions.ScannerName}' cannot run port scans and takes none: {problem}. It runs its other capabilities.",
                    _clock.GetUtcNow()), ct);
            }
        }
        else if (_unhealthy != false)
        {
            _unhealthy = false;
            LogHealthy(_logger);
            await store.ClearAlarmAsync(AlarmKinds.ScannerUnhealthy, ScannerSupervisor.ScannerSubject(_scannerId), ct);
        }

        await _poller!.PollAsync(ct);
    }

    /// <summary>Stops the loop, then waits for running jobs to report (bounded by the runner's shutdown grace).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await Task.WhenAll(_replaced, _poller?.DrainAsync() ?? Task.CompletedTask).WaitAsync(cancellationToken);
    }

    private async ValueTask RegisterAsync(IOutpostStore store, CancellationToken ct)
    {
        var kept = store.GetDocument(DocumentCollection, DocumentKey);
        if (kept is not null && long.TryParse(kept, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && store.GetScanner(id) is not null)
        {
            _scannerId = id;
        }
        else
        {
            // The key is thrown away: nobody may speak the HTTP protocol as the built-in scanner.
            var (_, hash) = ApiKeys.Create();
            var created = await store.CreateScannerAsync(BuiltInScannerOptions.ScannerName, hash, [], null, _clock.GetUtcNow(), ct: ct);
            await store.PutDocumentAsync(DocumentCollection, DocumentKey, created.Id.ToString(CultureInfo.InvariantCulture), ct);
            _scannerId = created.Id;
            LogRegistered(_logger, created.Id);
        }

        var protocol = new StoreScannerProtocol(_storeLifetime, _gate, _intake, _leases, _clock, _scannerId, _version,
            new CapabilityUploads(store, new CapabilityResults(_storeLifetime.Records),
                // The daemon's one ledger (its notifications listen to it), resolved now: the records database it
                // writes to opens after the hosted services are built.
                _services.GetRequiredService<VulnerabilityLedger>(), _clock));
        // The appliance's attribution text comes with each claimed job (the scan settings may change meanwhile).
        var capabilities = CapabilityRegistry.Create(new CapabilitySettings
        {
            Portscan = new PortscanOptions { Interface = _options.Interface, RawAccess = _rawAccess },
            Time = _clock,
        });
        if (_poller is { } replaced)
        {
            _replaced = Task.WhenAll(_replaced, replaced.DrainAsync());
        }

        // The appliance's settings already cap every job's rate; the guard keeps loopback out unless configured.
        var guard = new JobGuard { AllowLoopback = _options.AllowLoopback, LoopbackFlag = BuiltInScannerOptions.AllowLoopbackSetting + "=true", MaxRate = ProbeRate.Max };
        var runner = new JobRunner(protocol, capabilities, new JobRunnerOptions { Guard = guard }, _clock, _logger);
        // Heartbeat on every tick: the tick is the poll interval.
        _poller = new JobPoller(protocol, runner, _options.ClaimLimit, TimeSpan.Zero, _clock);

        // Whatever this scanner still holds is from an earlier run of the appliance: nothing is probing it any more.
        foreach (var job in store.ListActiveJobs(_scannerId))
        {
            await store.CompleteAsync(_scannerId, job.JobId, failed: true, job.ResultCount,
                "interrupted: the appliance restarted while its built-in scanner ran this job; re-run it to finish", _clock.GetUtcNow(), ct);
            LogOrphaned(_logger, job.JobId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered the built-in scanner as scanner {ScannerId}")]
    private static partial void LogRegistered(ILogger logger, long scannerId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The built-in scanner cannot run port scans and takes none (it runs its other capabilities): {Problem}")]
    private static partial void LogUnhealthy(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "The built-in scanner can probe again")]
    private static partial void LogHealthy(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was running on the built-in scanner when the appliance stopped; marked failed")]
    private static partial void LogOrphaned(ILogger logger, long jobId);
}

/// <summary>Registration of the built-in scanner's services.</summary>
public static class LocalScannerServices
{
    public static IServiceCollection AddBuiltInScanner(this IServiceCollection services)
    {
        services.TryAddSingleton<IRawPacketAccess>(ProcessCapabilities.Instance);
        services.AddSingleton<LocalScanner>();
        services.AddHostedService(sp => sp.GetRequiredService<LocalScanner>());
        services.AddOptions<OutpostOptions>()
            .Validate(o => o.BuiltInScanner.PollInterval > TimeSpan.Zero && o.BuiltInScanner.ClaimLimit is >= 1 and <= ScannerApi.MaxClaim,
                "Outpost:BuiltInScanner:PollInterval must be positive and ClaimLimit from 1 to 10.");
        return services;
    }
}
