using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Capabilities.Vulnscan;
using Outpost.Probe.Capabilities.Vulnscan.Catalogue;

namespace Outpost.Probe.Cli;

/// <summary>
/// <c>outpost-probe vulnscan TARGETS -p PORTS [--json] [--rate N] [--attribution TEXT]</c>: the <c>vulnscan</c>
/// capability from a shell (docs/vulnscan.md). Each finding goes to stdout, as text or one JSON line; the summary
/// (services, checks run, findings, seconds per host) goes to stderr.
/// </summary>
public static class VulnscanCommand
{
    public static Command Create()
    {
        var targets = new Argument<string[]>("targets")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "Addresses, CIDR blocks or ranges (10.0.0.5, 10.0.0.0/24, 10.0.0.1-10.0.0.50); commas also separate.",
        };
        var ports = new Option<string>("--ports", "-p") { Required = true, Description = "Ports and ranges, e.g. 21,22,80,443." };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per finding." };
        var rate = new Option<double>("--rate") { DefaultValueFactory = _ => 100, Description = "New connections per second; 0 for no limit." };
        var timeout = new Option<int>("--timeout") { DefaultValueFactory = _ => 1500, Description = "Milliseconds to wait for a connection or for a reply." };
        var perHost = new Option<int>("--max-connections-per-host") { DefaultValueFactory = _ => ConnectionPacer.DefaultConnectionsPerHost, Description = "Connections open at once to one address." };
        var attribution = new Option<string?>("--attribution") { Description = "Attribution text for the user agent and the X-Scan-Attribution header." };

        var command = new Command("vulnscan", "Run the vulnerability check catalogue against the services on TCP ports.");
        command.Arguments.Add(targets);
        var allowLoopback = new Option<bool>("--allow-loopback") { Description = "Allow targets in 127.0.0.0/8, this machine (tests only)." };
        foreach (var option in new Option[] { ports, json, rate, timeout, perHost, attribution, allowLoopback })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => RunAsync(parse.GetValue(targets)!, parse.GetValue(ports)!, parse.GetValue(json), parse.GetValue(allowLoopback),
            new FingerprintOptions
            {
                MaxProbesPerSecond = parse.GetValue(rate),
                ConnectTimeout = TimeSpan.FromMilliseconds(parse.GetValue(timeout)),
                ReadTimeout = TimeSpan.FromMilliseconds(parse.GetValue(timeout)),
                MaxConnectionsPerHost = parse.GetValue(perHost),
                UserAgent = ScanAttribution.UserAgent(parse.GetValue(attribution)),
                Attribution = parse.GetValue(attribution),
            },
            ct));
        return command;
    }

    private static async Task<int> RunAsync(string[] targets, string ports, bool json, bool allowLoopback, FingerprintOptions options, CancellationToken ct)
    {
        if (await FingerprintCommand.EndpointsAsync(targets, ports, "vulnscan", allowLoopback).ConfigureAwait(false) is not { } endpoints)
        {
            return ScanCommand.ExitUsage;
        }

        if ((options.Validate() ?? (options.MaxProbesPerSecond < 0 ? "--rate must be zero or more." : null)) is { } problem)
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {problem}").ConfigureAwait(false);
            return ScanCommand.ExitUsage;
        }

        using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
        int services = 0, checks = 0, findings = 0;
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await foreach (var service in VulnscanCapability.CheckAsync(endpoints, options, CheckCatalogue.BuiltIn, _ => { }, ct).ConfigureAwait(false))
            {
                services++;
                checks += service.CheckIds.Count;
                foreach (var finding in service.Found)
                {
                    findings++;
                    await stdout.WriteLineAsync(json ? VulnscanJson.Line(service, finding) : Text(service, finding)).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("outpost-probe: cancelled").ConfigureAwait(false);
            return 130;
        }

        var seconds = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
        var hosts = endpoints.Select(e => e.Address).Distinct().Count();
        await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"summary: endpoints={endpoints.Count} services={services} checks={checks} findings={findings} seconds={seconds:0.000} seconds_per_host={seconds / hosts:0.000}"))
            .ConfigureAwait(false);
        return 0;
    }

    /// <summary>One line for people: "10.0.0.5:21 medium ftp-anonymous-login FTP server accepts anonymous logins | reply: 230 Login successful.".</summary>
    private static string Text(ServiceVulnerabilities service, VulnerabilityFinding finding) => string.Create(CultureInfo.InvariantCulture,
        $"{service.Ip}:{service.Port} {finding.Severity} {finding.CheckId} {finding.Title} | {finding.Evidence.Replace('\n', ' ')}");
}
