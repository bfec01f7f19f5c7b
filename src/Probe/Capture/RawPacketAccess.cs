using System.Globalization;

namespace Outpost.Probe.Capture;

/// <summary>Whether this process may send and capture raw frames: the seam a scanner asks before it claims work.</summary>
public interface IRawPacketAccess
{
    /// <summary>Null when raw packet access is available; otherwise the reason, in words an operator can act on.</summary>
    string? Problem();
}

/// <summary>
/// Reads the process's effective capabilities from <c>/proc/self/status</c>, and whether libpcap loads. Asking the kernel
/// is cheaper and kinder than opening a capture handle to find out, and it tells "not allowed" apart from "no such
/// interface".
/// </summary>
public sealed class ProcessCapabilities : IRawPacketAccess
{
    // CAP_NET_RAW is capability 13 (linux/capability.h).
    private const int NetRaw = 13;

    // Looked for once: the bindings load libpcap once per process, so installing it later needs a restart anyway.
    private static readonly Lazy<string?> MissingLibpcap = new(() => PcapLibrary.TryLoad(out _, out var names)
        ? null
        : $"libpcap is not installed (none of {names} loads): install the libpcap0.8 package (libpcap on RPM distributions)");

    public static ProcessCapabilities Instance { get; } = new();

    public string? Problem()
    {
        ulong effective;
        try
        {
            effective = Mask("CapEff");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return "cannot read the process's capabilities: " + ex.Message;
        }

        return (effective & (1UL << NetRaw)) != 0
            ? MissingLibpcap.Value
            : "pcap: permission denied (needs CAP_NET_RAW): run as root, or grant the service CAP_NET_RAW and CAP_NET_ADMIN (AmbientCapabilities=)";
    }

    /// <summary>One capability set of this process (<c>CapEff</c>, <c>CapPrm</c>, <c>CapBnd</c>, <c>CapAmb</c>…) as its bit mask.</summary>
    public static ulong Mask(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return ulong.Parse(line.AsSpan(field.Length + 1).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        throw new FormatException($"/proc/self/status has no {field} line");
    }
}
