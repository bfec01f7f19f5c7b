using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Portscan;
using Outpost.Probe.Capture;
using Outpost.Probe.Engine;
using Outpost.Probe.Guard;
using Outpost.Probe.Jobs;
using Outpost.Probe.Systemd;

namespace Outpost.Probe.Node;

/// <summary>
/// <c>outpost-probe node --appliance URL (--api-key KEY | --api-key-file F) [--claim-limit N] [--tls-fingerprint SHA256]
/// [--interface IF] [--source-ip IP] [--attribution TEXT] [--poll-interval S] [--max-rate N] [--default-rate N] [--insecure-http]
/// [--allow-loopback] [--config /etc/outpost/probe.json]</c>:
/// runs a remote scanner node until SIGTERM. Flags override the config file.
/// </summary>
public static partial class NodeCommand
{
    /// <summary>How long SIGTERM waits for running jobs to report (the runner's own grace plus a margin).</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Exit code for a configuration that cannot run.</summary>
    public const int ExitUsage = 2;

    public static Command Create()
    {
        var appliance = new Option<string?>("--appliance") { Description = "The appliance's URL, e.g. https://outpost.example:443." };
        var apiKey = new Option<string?>("--api-key") { Description = "The scanner's API key (shown once when the scanner was created)." };
        var apiKeyFile = new Option<string?>("--api-key-file") { Description = "A file holding the API key (keeps it out of the process list)." };
        var claimLimit = new Option<int?>("--claim-limit") { Description = "Jobs to run at once, 1 to 10 (default 1)." };
        var fingerprint = new Option<string?>("--tls-fingerprint") { Description = "Pin the appliance's certificate by its SHA-256 fingerprint (hex, colons optional)." };
        var iface = new Option<string?>("--interface", "-i") { Description = "Send probes on this interface instead of the routed one." };
        var sourceIp = new Option<string?>("--source-ip") { Description = "Local address to call the appliance from." };
        var attribution = new Option<string?>("--attribution") { Description = "The appliance's scan attribution text, sent as a header and in the user agent." };
        var poll = new Option<double?>("--poll-interval") { Description = "Seconds between claims while idle (default 5)." };
        var maxRate = new Option<int?>("--max-rate") { Description = $"No job runs faster than this many probes per second, whatever the appliance asks (default {JobGuard.DefaultMaxRate})." };
        var defaultRate = new Option<int?>("--default-rate") { Description = $"Probes per second for a job that names no rate (default {JobGuard.DefaultJobRate})." };
        var insecureHttp = new Option<bool>("--insecure-http") { Description = "Accept a plain http:// appliance URL (test setups only: the key and the jobs travel unprotected)." };
        var allowLoopback = new Option<bool>("--allow-loopback") { Description = "Let jobs probe 127.0.0.0/8, this machine (test setups only)." };
        var config = new Option<string?>("--config") { Description = $"Config file (default {NodeSettings.InstalledConfigFile} if present)." };

        var command = new Command("node", "Run a remote scanner node: pull jobs from the appliance, probe, report.");
        foreach (var option in new Option[] { appliance, apiKey, apiKeyFile, claimLimit, fingerprint, iface, sourceIp, attribution, poll, maxRate, defaultRate, insecureHttp, allowLoopback, config })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => RunAsync(new NodeSettings.Flags(
            parse.GetValue(appliance), parse.GetValue(apiKey), parse.GetValue(apiKeyFile), parse.GetValue(claimLimit), parse.GetValue(fingerprint),
            parse.GetValue(iface), parse.GetValue(sourceIp), parse.GetValue(attribution), parse.GetValue(poll), parse.GetValue(config))
        {
            MaxRate = parse.GetValue(maxRate),
            DefaultRate = parse.GetValue(defaultRate),
            InsecureHttp = parse.GetValue(insecureHttp),
            AllowLoopback = parse.GetValue(allowLoopback),
        }, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(NodeSettings.Flags flags, CancellationToken shutdown)
    {
        var settings = NodeSettings.Resolve(flags, out var error);
        if (settings is null)
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {error}").ConfigureAwait(false);
            return ExitUsage;
        }

        // A generic host for what systemd expects of a service (SystemdIntegration) and for the console log, one line
        // per event on stderr, which systemd keeps in the journal.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddOutpostSystemd();
        builder.Services.AddSingleton(settings);
        builder.Services.AddHostedService<NodeService>();
        using var host = builder.Build();
        await host.RunAsync(shutdown).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The node's loop as the host's one service: it runs until the host stops (SIGTERM).</summary>
    private sealed class NodeService(NodeSettings settings, SystemdWatchdog watchdog, ILoggerFactory logs) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var log = logs.CreateLogger("outpost-probe");
            if (ProcessCapabilities.Instance.Problem() is { } problem)
            {
                // Not fatal: capabilities may be granted without a restart of the appliance side; jobs fail with this reason.
                LogNoRawAccess(log, problem);
            }

            using var protocol = new HttpScannerProtocol(settings.Appliance, settings.ApiKey, settings.TlsFingerprint, settings.Attribution, settings.SourceIp);
            var capabilities = CapabilityRegistry.Create(new CapabilitySettings
            {
                Portscan = new PortscanOptions { Interface = settings.Interface },
                Attribution = settings.Attribution,
            });
            var runner = new JobRunner(protocol, capabilities, new JobRunnerOptions { Guard = settings.Guard }, TimeProvider.System, log);
            await new ScannerNode(protocol, runner, settings, TimeProvider.System, log, watchdog).RunAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Problem}; jobs will fail until the node has it")]
    private static partial void LogNoRawAccess(ILogger logger, string problem);
}
