using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;
using Outpost.Store.Postgres;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// Which node runs the background loops that must run once (scheduler, scanner supervisor, retention, alarms; see
/// <see cref="BackgroundLoops.RunsOnLeaderOnly"/>). With the embedded store there is one node and it always leads.
///
/// With the PostgreSQL store, the leader is the node holding a session advisory lock on a dedicated connection (not
/// pooled, so closing it ends the session). Every second a follower tries <c>pg_try_advisory_lock</c> and the leader
/// checks its connection still answers. A node that dies, or whose connection breaks, loses its session and with it
/// the lock; another node takes it on its next try, so leadership moves within a few seconds. A leader that finds its
/// connection broken steps down at once (the lock is gone with the session), so two leaders overlap by at most one
/// poll; the loops tolerate that, since every change they make goes through the store's own transition rules.
/// Observable as a log line on each change, <see cref="IsLeader"/>, and the gauge <c>outpost.leader</c>.
/// </summary>
public sealed partial class Leadership : BackgroundService
{
    /// <summary>Advisory lock key of the loops' leader ("outpost" in ASCII, then 'L').</summary>
    public const long LockKey = 0x6F7574706F73_4C;

    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a leadership check may take before the node counts its session as lost.</summary>
    public const int CheckTimeoutSeconds = 5;

    private readonly OutpostOptions _options;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly bool _shared;
    private volatile bool _leader;

    public Leadership(IOptions<OutpostOptions> options, IServiceProvider services, IMeterFactory meterFactory, ILogger<Leadership> logger)
    {
        _options = options.Value;
        _services = services;
        _logger = logger;
        _shared = StoreKinds.Of(_options) == StoreKinds.Postgres;
        _leader = !_shared;
        meterFactory.Create("Outpost.Leadership").CreateObservableGauge("outpost.leader", () => IsLeader ? 1 : 0, "{node}",
            "1 while this node runs the loops that must run once across ingest nodes.");
    }

    /// <summary>True while this node leads (always, with the embedded store).</summary>
    public bool IsLeader => _leader;

    /// <summary>How the node names itself in the leadership log lines.</summary>
    public static string NodeName { get; } = $"{Environment.MachineName}/{Environment.ProcessId}";

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // The loops are constructed (by the host, before any starts) but not yet ticking: tell each who leads.
        foreach (var service in _services.GetServices<IHostedService>())
        {
            if (service is LoopService loop)
            {
                loop.Leadership = this;
            }
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_shared)
        {
            return;
        }

        await using var dataSource = PostgresOutpostStore.CreateDataSource(PostgresStoreOpener.ConnectionString(_options), "outpost-leader", pooling: false);
        NpgsqlConnection? connection = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    connection ??= await dataSource.OpenConnectionAsync(stoppingToken);
                    // A short timeout: over a broken network the leader must step down well before the server
                    // notices the dead session and frees the lock for another node (see the README's keepalives).
                    await using var command = new NpgsqlCommand(_leader ? "SELECT true" : $"SELECT pg_try_advisory_lock({LockKey})", connection)
                    {
                        CommandTimeout = CheckTimeoutSeconds,
                    };
                    var holds = (bool)(await command.ExecuteScalarAsync(stoppingToken))!;
                    if (holds && !_leader)
                    {
                        _leader = true;
                        LogLeading(_logger, NodeName);
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
                {
                    // The session is gone, and the lock with it: step down now, try again on the next poll.
                    StepDown(ex.Message);
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }
                }

                CheckDone();
                await Task.Delay(PollInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: closing the connection below releases the lock for the next leader at once.
        }
        finally
        {
            StepDown("shutting down");
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private void StepDown(string reason)
    {
        if (_leader && _shared)
        {
            _leader = false;
            LogStepDown(_logger, NodeName, reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Leadership: node {Node} now leads the once-only background loops")]
    private static partial void LogLeading(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leadership: node {Node} no longer leads ({Reason})")]
    private static partial void LogStepDown(ILogger logger, string node, string reason);
}
