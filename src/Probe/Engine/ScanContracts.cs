using System.Globalization;
using Outpost.Probe.Packets;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Engine;

/// <summary>
/// One scan job, immutable (the job spec; the mutable state lives in the send and receive loops). The appliance's
/// built-in scanner and the remote node build one from a claimed job: its targets × ports and its maxProbesPerSecond.
/// </summary>
public sealed record ScanRequest(TargetSet Targets)
{
    /// <summary>Probes per second; 0 (or less) means as fast as the machine can send.</summary>
    public double ProbesPerSecond { get; init; }

    /// <summary>How many times each probe is sent (1 = no retry). Each extra send is another sweep of the whole permutation, so the copies of one probe are far apart in time.</summary>
    public int Sends { get; init; } = 1;

    /// <summary>How long replies are still collected after the last probe was sent.</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Send on this interface instead of the one the routing table picks.</summary>
    public string? Interface { get; init; }

    /// <summary>Seed of the visiting order; null picks a random one. The same seed gives the same order.</summary>
    public ulong? Seed { get; init; }

    /// <summary>
    /// The position to start at (a resume): positions below it were sent by an earlier run with the same
    /// <see cref="Seed"/>, targets and <see cref="Sends"/>, and are skipped. At or beyond the end, nothing is sent.
    /// </summary>
    public ulong ResumeFrom { get; init; }

    /// <summary>Positions of the whole scan: each sweep visits every (address, port) once.</summary>
    public ulong Positions => Targets.Count * (ulong)Sends;

    /// <summary>First source port; at or above 61000 so replies never meet the kernel's ephemeral ports (32768–60999).</summary>
    public ushort FirstSourcePort { get; init; } = 61000;

    /// <summary>Last source port (inclusive).</summary>
    public ushort LastSourcePort { get; init; } = 65535;

    /// <summary>Send threads; 0 picks one for moderate rates and one per core (up to 4) for fast or unlimited ones.</summary>
    public int SendThreads { get; init; }

    /// <summary>
    /// The do-not-scan list: probes it names are skipped inside the walk, never sent. Live: a replacement applies to the
    /// rest of the walk (docs/probe-engine.md, "Exclusions"). Null excludes nothing.
    /// </summary>
    public LiveExclusions? Exclusions { get; init; }

    /// <summary>How often <see cref="IScanObserver.OnProgress"/> is called during the scan.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Returns a sentence describing the first invalid setting, or null when the request can run.</summary>
    public string? Validate()
    {
        if (Sends is < 1 or > 100)
        {
            return "Sends per probe must be between 1 and 100.";
        }

        if (SendThreads is < 0 or > 64)
        {
            return "Send threads must be between 0 (automatic) and 64.";
        }

        if (Wait < TimeSpan.Zero || Wait > TimeSpan.FromMinutes(10))
        {
            return "The wait after the last probe must be between 0 and 10 minutes.";
        }

        if (FirstSourcePort < 61000 || LastSourcePort < FirstSourcePort)
        {
            return "The source port range must lie at or above 61000 and not be reversed.";
        }

        if (double.IsNaN(ProbesPerSecond) || ProbesPerSecond > 100_000_000)
        {
            return "The rate must be a number of probes per second up to 100 000 000 (0 for unlimited).";
        }

        return ProgressInterval <= TimeSpan.Zero ? "The progress interval must be positive." : null;
    }
}

/// <summary>What a reply says about a port.</summary>
public enum PortState
{
    /// <summary>SYN-ACK.</summary>
    Open,

    /// <summary>RST.</summary>
    Closed,
}

/// <summary>One finding, reported once per (address, port); the shape of the job protocol's results.</summary>
public readonly record struct ScanResult(Ipv4H Address, PortH Port, PortState State, byte Ttl)
{
    /// <summary>"open" or "closed", as in the job protocol.</summary>
    public string StateText => State == PortState.Open ? "open" : "closed";

    /// <summary>One JSON line: <c>{"ip":"10.77.0.2","port":22,"proto":"tcp","state":"open","ttl":64}</c>.</summary>
    public string ToJson()
    {
        Span<char> buffer = stackalloc char[MaxLineLength];
        TryFormatJson(buffer, out var written);
        return new string(buffer[..written]);
    }

    /// <summary>One text line: <c>10.77.0.2:22/tcp open ttl=64</c>.</summary>
    public override string ToString()
    {
        Span<char> buffer = stackalloc char[MaxLineLength];
        TryFormatText(buffer, out var written);
        return new string(buffer[..written]);
    }

    /// <summary>Upper bound of either line's length.</summary>
    public const int MaxLineLength = 96;

    /// <summary>Allocation-free <see cref="ToJson"/>, for writers on the receive thread.</summary>
    public bool TryFormatJson(Span<char> destination, out int written) =>
        destination.TryWrite(CultureInfo.InvariantCulture,
            $"{{\"ip\":\"{Address.Value >> 24}.{(Address.Value >> 16) & 0xFF}.{(Address.Value >> 8) & 0xFF}.{Address.Value & 0xFF}\",\"port\":{Port.Value},\"proto\":\"tcp\",\"state\":\"{StateText}\",\"ttl\":{Ttl}}}",
            out written);

    /// <summary>Allocation-free <see cref="ToString"/>.</summary>
    public bool TryFormatText(Span<char> destination, out int written) =>
        destination.TryWrite(CultureInfo.InvariantCulture,
            $"{Address.Value >> 24}.{(Address.Value >> 16) & 0xFF}.{(Address.Value >> 8) & 0xFF}.{Address.Value & 0xFF}:{Port.Value}/tcp {StateText} ttl={Ttl}",
            out written);
}

/// <summary>
/// A progress snapshot: for the job protocol's progressCount / resultCount and for the terminal. <c>Cursor</c> is the
/// position below which every probe was sent at least <see cref="ScanRequest.Wait"/> ago (resume state: a run started
/// there with the same seed misses no probe and no reply; see <c>SettledCursor</c>); it counts
/// <see cref="ScanRequest.ResumeFrom"/>'s skipped positions as sent, while <c>ProbesSent</c> counts only this run's frames.
/// </summary>
public readonly record struct ScanProgress(long ProbesSent, long ProbesTotal, long Replies, long Results, TimeSpan Elapsed, long Cursor = 0);

/// <summary>The outcome of a scan.</summary>
public sealed record ScanSummary
{
    /// <summary>Frames handed to the OS.</summary>
    public long Sent { get; init; }

    /// <summary>Frames the OS refused (e.g. a full queue).</summary>
    public long SendErrors { get; init; }

    /// <summary>Probes not sent because their host is on the link and did not answer ARP.</summary>
    public long Unreachable { get; init; }

    /// <summary>Probes not sent because the do-not-scan list names them.</summary>
    public long Excluded { get; init; }

    /// <summary>Replies that validated as answers to our probes, duplicates included.</summary>
    public long Replies { get; init; }

    /// <summary>Distinct open ports.</summary>
    public long Open { get; init; }

    /// <summary>Distinct closed ports.</summary>
    public long Closed { get; init; }

    /// <summary>Frames the kernel dropped because the capture buffer was full (libpcap ps_drop).</summary>
    public long Drops { get; init; }

    /// <summary>Duration of the send phase.</summary>
    public TimeSpan SendElapsed { get; init; }

    /// <summary>Whole scan, including route discovery and the wait for late replies.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Probes per second over the send phase.</summary>
    public double AchievedRate => SendElapsed > TimeSpan.Zero ? Sent / SendElapsed.TotalSeconds : 0;

    /// <summary>True if the scan stopped early because it was cancelled.</summary>
    public bool Cancelled { get; init; }

    /// <summary>Interface the scan used.</summary>
    public string Interface { get; init; } = "";
}

/// <summary>
/// Receives a scan's results and progress. <see cref="OnResult"/> is called on the receive thread for each new
/// finding and must return quickly (queue the result, don't do I/O that can block for long); the other calls come
/// from a timer thread or the caller's thread.
/// </summary>
public interface IScanObserver
{
    void OnResult(in ScanResult result);

    void OnProgress(in ScanProgress progress);

    /// <summary>Something the operator should know, e.g. capture drops.</summary>
    void OnWarning(string message);
}

/// <summary>An <see cref="IScanObserver"/> made of delegates; any may be null.</summary>
public sealed class DelegateScanObserver(Action<ScanResult>? onResult, Action<ScanProgress>? onProgress = null, Action<string>? onWarning = null) : IScanObserver
{
    public void OnResult(in ScanResult result) => onResult?.Invoke(result);

    public void OnProgress(in ScanProgress progress) => onProgress?.Invoke(progress);

    public void OnWarning(string message) => onWarning?.Invoke(message);
}
