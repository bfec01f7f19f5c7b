using System.CommandLine;
using System.Globalization;
using System.Text;
using Outpost.Probe.Capture;
using Outpost.Probe.Engine;
using Outpost.Probe.Guard;
using Outpost.Probe.Node;
using Outpost.Probe.Routing;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Cli;

/// <summary>
/// <c>outpost-probe scan TARGETS -p PORTS --rate N [--wait S] [--interface IF] [--exclude LIST] [--allow-loopback] [--json] [--resume FILE]</c>:
/// one scan from the command line. Targets the scanner never probes are refused before anything is sent
/// (<see cref="ForbiddenTargets"/>, the same rule as the node's). Findings go to stdout (text or JSON lines, open ports
/// only unless --closed); progress (when stderr is a terminal), warnings and the summary go to stderr so stdout stays
/// machine-readable. With --resume the scan keeps its place in FILE (<see cref="ResumeFile"/>) and a run with the same
/// FILE continues from there.
/// </summary>
public static class ScanCommand
{
    /// <summary>Exit code when raw packet access is refused.</summary>
    public const int ExitNoPermission = 77;

    /// <summary>Exit code for a scan that could not run (bad route, capture failure).</summary>
    public const int ExitFailed = 1;

    /// <summary>Exit code for invalid targets or options.</summary>
    public const int ExitUsage = 2;

    public static Command Create()
    {
        var targets = new Argument<string[]>("targets")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "Addresses, CIDR blocks or ranges (10.0.0.5, 10.0.0.0/24, 10.0.0.1-10.0.0.50); commas also separate.",
        };
        var ports = new Option<string>("--ports", "-p") { Required = true, Description = "Ports and ranges, e.g. 22,80,443,1000-2000." };
        var rate = new Option<double>("--rate") { Required = true, Description = "Probes per second; 0 for as fast as possible." };
        var wait = new Option<double>("--wait") { DefaultValueFactory = _ => 1.0, Description = "Seconds to keep listening after the last probe." };
        var iface = new Option<string?>("--interface", "-i") { Description = "Send on this interface instead of the routed one." };
        var json = new Option<bool>("--json") { Description = "Print results as JSON lines." };
        var closed = new Option<bool>("--closed") { Description = "Also print closed ports." };
        var sends = new Option<int>("--retries") { DefaultValueFactory = _ => 1, Description = "Times each probe is sent." };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the visiting order (for a reproducible order)." };
        var resume = new Option<string?>("--resume")
        {
            Description = "Keep the scan's place in this file (saved every second and on Ctrl-C); run again with the same file to continue where it stopped.",
        };

        var exclude = new Option<string[]>("--exclude") { Description = "Never probe these: addresses, CIDR blocks, ranges, or ADDRESS:PORT; commas also separate." };
        var allowLoopback = new Option<bool>("--allow-loopback") { Description = "Allow targets in 127.0.0.0/8, this machine (tests only)." };

        var command = new Command("scan", "Run one SYN scan and print the findings.");
        command.Arguments.Add(targets);
        foreach (var option in new Option[] { ports, rate, wait, iface, json, closed, sends, seed, resume, exclude, allowLoopback })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => RunAsync(
            new Options(
                parse.GetValue(targets)!,
                parse.GetValue(ports)!,
                parse.GetValue(rate),
                parse.GetValue(wait),
                parse.GetValue(iface),
                parse.GetValue(json),
                parse.GetValue(closed),
                parse.GetValue(sends),
                parse.GetValue(seed),
                parse.GetValue(resume),
                parse.GetValue(exclude) ?? [],
                parse.GetValue(allowLoopback)),
            cancellationToken));
        return command;
    }

    private sealed record Options(string[] Targets, string Ports, double Rate, double Wait, string? Interface, bool Json, bool Closed, int Sends, ulong? Seed,
        string? Resume, string[] Exclude, bool AllowLoopback);

    private static async Task<int> RunAsync(Options options, CancellationToken cancellationToken)
    {
        var items = options.Targets.SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (!TargetSet.TryParse(items, options.Ports, out var set, out var error))
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {error}").ConfigureAwait(false);
            return ExitUsage;
        }

        if (ForbiddenTargets.Refusal(set!.Ranges, options.AllowLoopback, "--allow-loopback") is { } refusal)
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {refusal}").ConfigureAwait(false);
            return ExitUsage;
        }

        var excludeItems = options.Exclude.SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (!ExclusionSet.TryParse(excludeItems, out var excluded, out error))
        {
            await Console.Error.WriteLineAsync($"outpost-probe: --exclude: {error}").ConfigureAwait(false);
            return ExitUsage;
        }

        if (double.IsNaN(options.Wait) || options.Wait < 0)
        {
            await Console.Error.WriteLineAsync("outpost-probe: --wait must be zero or more seconds.").ConfigureAwait(false);
            return ExitUsage;
        }

        var request = new ScanRequest(set)
        {
            Exclusions = excluded!.IsEmpty ? null : new LiveExclusions(excluded),
            ProbesPerSecond = options.Rate,
            Wait = TimeSpan.FromSeconds(options.Wait),
            Interface = options.Interface,
            Sends = options.Sends,
            Seed = options.Seed,
        };
        if (request.Validate() is { } problem)
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {problem}").ConfigureAwait(false);
            return ExitUsage;
        }

        ResumeFile? resume = null;
        if (options.Resume is { } resumePath)
        {
            resume = ResumeFile.Open(resumePath, request, out var resumeError);
            if (resume is null)
            {
                await Console.Error.WriteLineAsync($"outpost-probe: {resumeError}").ConfigureAwait(false);
                return ExitUsage;
            }

            request = request with { Seed = resume.Seed, ResumeFrom = resume.Cursor };
            if (resume.Cursor > 0)
            {
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"outpost-probe: resuming from {resume.Path}: {resume.Cursor} of {resume.Positions} probes were sent before")).ConfigureAwait(false);
            }
        }

        // Asked of the kernel before anything else touches the network: the answer does not depend on which step of
        // opening a capture fails first, nor on interfaces that other processes add or remove meanwhile.
        if (ProcessCapabilities.Instance.Problem() is not null)
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {PcapDevice.NoRawAccess(options.Interface).Message}").ConfigureAwait(false);
            return ExitNoPermission;
        }

        using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        var output = new ResultWriter(stdout, options.Json, options.Closed, showProgress: !Console.IsErrorRedirected, resume);
        ScanSummary summary;
        try
        {
            summary = await new ProbeScanner().RunAsync(request, output, cancellationToken).ConfigureAwait(false);
        }
        catch (PacketDeviceException ex) when (ex.PermissionDenied)
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {ex.Message}").ConfigureAwait(false);
            return ExitNoPermission;
        }
        catch (Exception ex) when (ex is PacketDeviceException or RouteException)
        {
            await Console.Error.WriteLineAsync($"outpost-probe: {ex.Message}").ConfigureAwait(false);
            return ExitFailed;
        }
        finally
        {
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        output.EndProgress();
        await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"summary: sent={summary.Sent} replies={summary.Replies} open={summary.Open} closed={summary.Closed} drops={summary.Drops} send_errors={summary.SendErrors} unreachable={summary.Unreachable} excluded={summary.Excluded} rate={summary.AchievedRate:0.0}pps send_seconds={summary.SendElapsed.TotalSeconds:0.000} seconds={summary.Elapsed.TotalSeconds:0.000} interface={summary.Interface}{(summary.Cancelled ? " cancelled" : "")}"))
            .ConfigureAwait(false);
        if (summary.Cancelled && resume is not null)
        {
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"outpost-probe: stopped after {resume.Cursor} of {resume.Positions} probes; run again with --resume {resume.Path} to continue")).ConfigureAwait(false);
        }

        return summary.Cancelled ? 130 : 0;
    }

    /// <summary>
    /// Writes findings from the receive thread into a buffered stdout without allocating per line (one writer
    /// thread, so no lock); progress goes to stderr as one rewritten line.
    /// </summary>
    private sealed class ResultWriter(StreamWriter stdout, bool json, bool includeClosed, bool showProgress, ResumeFile? resume) : IScanObserver
    {
        private readonly char[] _line = new char[ScanResult.MaxLineLength + 1];
        private bool _progressShown;

        public void OnResult(in ScanResult result)
        {
            if (result.State == PortState.Closed && !includeClosed)
            {
                return;
            }

            var ok = json ? result.TryFormatJson(_line, out var written) : result.TryFormatText(_line, out written);
            if (ok)
            {
                _line[written] = '\n';
                stdout.Write(_line, 0, written + 1);
            }
        }

        public void OnProgress(in ScanProgress progress)
        {
            // The engine's last report comes after its last send, Ctrl-C included: the file then holds the exact place.
            resume?.Save(progress.Cursor);
            if (!showProgress)
            {
                return;
            }

            var percent = progress.ProbesTotal == 0 ? 100 : 100.0 * progress.ProbesSent / progress.ProbesTotal;
            Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                $"\rsent {progress.ProbesSent}/{progress.ProbesTotal} ({percent:0.0}%) replies {progress.Replies} results {progress.Results} elapsed {progress.Elapsed.TotalSeconds:0}s   "));
            _progressShown = true;
        }

        public void OnWarning(string message) => Console.Error.WriteLine($"{(_progressShown ? "\n" : "")}outpost-probe: warning: {message}");

        public void EndProgress()
        {
            if (_progressShown)
            {
                Console.Error.WriteLine();
            }
        }
    }
}
