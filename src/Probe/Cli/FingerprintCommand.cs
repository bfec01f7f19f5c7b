using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Guard;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Cli;

/// <summary>
/// <c>outpost-probe fingerprint TARGETS -p PORTS [--json] [--rate N] [--timeout MS] [--attribution TEXT]</c>: identifies the services on
/// the given ports with ordinary TCP connections (no raw packet access needed). Open ports go to stdout, as text or
/// one JSON line each (docs/fingerprint.md); the summary goes to stderr.
/// </summary>
public static class FingerprintCommand
{
    /// <summary>More endpoints than this in one run is a mistake on the command line, not a fingerprint job.</summary>
    public const int MaxEndpoints = 1 << 20;

    public static Command Create()
    {
        var targets = new Argument<string[]>("targets")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "Addresses, CIDR blocks or ranges (10.0.0.5, 10.0.0.0/24, 10.0.0.1-10.0.0.50); commas also separate.",
        };
        var ports = new Option<string>("--ports", "-p") { Required = true, Description = "Ports and ranges, e.g. 22,80,443,8000-8100." };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per service." };
        var rate = new Option<double>("--rate") { DefaultValueFactory = _ => 100, Description = "New connections per second; 0 for no limit." };
        var timeout = new Option<int>("--timeout") { DefaultValueFactory = _ => 1500, Description = "Milliseconds to wait for a connection or for a reply to one probe." };
        var perHost = new Option<int>("--max-connections-per-host") { DefaultValueFactory = _ => 8, Description = "Connections open at once to one address." };
        var attribution = new Option<string?>("--attribution")
        {
            Description = "Who is scanning, e.g. \"Example Corp security, abuse@example.com\": sent with HTTP probes as the X-Scan-Attribution header and in the user agent.",
        };
        var agent = new Option<string?>("--user-agent") { Description = "User-Agent of HTTP probes (default: outpost-probe/VERSION (ATTRIBUTION))." };
        var closed = new Option<bool>("--closed") { Description = "Also print closed and filtered ports." };
        var allowLoopback = new Option<bool>("--allow-loopback") { Description = "Allow targets in 127.0.0.0/8, this machine (tests only)." };

        var command = new Command("fingerprint", "Identify the services on TCP ports: banners, protocol probes, TLS certificates, HTTP.");
        command.Arguments.Add(targets);
        foreach (var option in new Option[] { ports, json, rate, timeout, perHost, attribution, agent, closed, allowLoopback })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => RunAsync(parse.GetValue(targets)!, parse.GetValue(ports)!, parse.GetValue(json), parse.GetValue(closed), parse.GetValue(allowLoopback),
            new FingerprintOptions
            {
                MaxProbesPerSecond = parse.GetValue(rate),
                ConnectTimeout = TimeSpan.FromMilliseconds(parse.GetValue(timeout)),
                ReadTimeout = TimeSpan.FromMilliseconds(parse.GetValue(timeout)),
                MaxConnectionsPerHost = parse.GetValue(perHost),
                UserAgent = parse.GetValue(agent) ?? ScanAttribution.UserAgent(parse.GetValue(attribution)),
                Attribution = parse.GetValue(attribution),
            },
            ct));
        return command;
    }

    private static async Task<int> RunAsync(string[] targets, string ports, bool json, bool includeClosed, bool allowLoopback, FingerprintOptions options,
        CancellationToken ct)
    {
        if (await EndpointsAsync(targets, ports, "fingerprint", allowLoopback).ConfigureAwait(false) is not { } endpoints)
        {
            return ScanCommand.ExitUsage;
        }

        var problem = options.Validate() ?? (options.MaxProbesPerSecond < 0 ? "--rate must be zero or more." : null);
        if (problem is not null)
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {problem}").ConfigureAwait(false);
            return ScanCommand.ExitUsage;
        }

        using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
        int open = 0, notOpen = 0;
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await foreach (var fingerprint in ServiceFingerprinter.FingerprintAsync(endpoints, options, ct).ConfigureAwait(false))
            {
                _ = fingerprint.IsOpen ? open++ : notOpen++;
                if (fingerprint.IsOpen || includeClosed)
                {
                    await stdout.WriteLineAsync(json ? FingerprintJson.Serialize(fingerprint) : Text(fingerprint)).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("outpost-probe: cancelled").ConfigureAwait(false);
            return 130;
        }

        await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"summary: endpoints={endpoints.Count} open={open} closed_or_filtered={notOpen} seconds={TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.000}"))
            .ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// The command line's targets × ports as endpoints (for the commands that visit services one by one), or null
    /// after saying on stderr what is wrong with them.
    /// </summary>
    /// <summary>
    /// The address and port pairs of a connection-based command, or null (said on stderr) when the targets do not parse,
    /// name something no scanner probes (<see cref="ForbiddenTargets"/>, the node's rule), or are too many at once.
    /// </summary>
    internal static async Task<List<(IPAddress Address, int Port)>?> EndpointsAsync(string[] targets, string ports, string verb, bool allowLoopback)
    {
        var items = targets.SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (!TargetSet.TryParse(items, ports, out var set, out var error))
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {error}").ConfigureAwait(false);
            return null;
        }

        if (ForbiddenTargets.Refusal(set!.Ranges, allowLoopback, "--allow-loopback") is { } refusal)
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {refusal}").ConfigureAwait(false);
            return null;
        }

        if (set.Count > MaxEndpoints)
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {set.Count} address and port pairs; {verb} at most {MaxEndpoints} at once (scan first, then {verb} the open ports).").ConfigureAwait(false);
            return null;
        }

        var endpoints = new List<(IPAddress, int)>((int)set.Count);
        for (ulong i = 0; i < set.Count; i++)
        {
            set.Decode(i, out var address, out var port);
            endpoints.Add((Ipv4Range.ToIPAddress(address), port));
        }

        return endpoints;
    }

    /// <summary>One line for people: "10.0.0.5:443/tcp https nginx 1.22.1 tls=TLSv1.3 cn=… http=200 "Title"".</summary>
    private static string Text(ServiceFingerprint f)
    {
        var line = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{f.Ip}:{f.Port}/{f.Proto} {f.Service}");
        if (f.Product is not null)
        {
            line.Append(' ').Append(f.Product);
        }

        if (f.Version is not null)
        {
            line.Append(' ').Append(f.Version);
        }

        if (f.Tls is { } tls)
        {
            line.Append(CultureInfo.InvariantCulture,
                $" tls={tls.Version} subject=\"{tls.Subject}\" issuer=\"{tls.Issuer}\" notAfter={tls.NotAfter:yyyy-MM-dd}{(tls.SelfSigned ? " self-signed" : "")}");
        }

        if (f.Http is { } http)
        {
            line.Append(CultureInfo.InvariantCulture, $" http={http.Status}");
            if (http.Title is not null)
            {
                line.Append(" title=\"").Append(http.Title).Append('"');
            }

            if (http.Location is not null)
            {
                line.Append(" location=").Append(http.Location);
            }
        }

        if (f.Banner is not null)
        {
            line.Append(" banner=\"").Append(f.Banner).Append('"');
        }

        return line.ToString();
    }
}
