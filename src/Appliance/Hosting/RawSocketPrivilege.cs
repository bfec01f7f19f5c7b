using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// With the built-in scanner off the daemon sends no packet of its own, so it gives up <c>CAP_NET_RAW</c> before it
/// starts (docs/users-and-audit.md, hardening): a flaw in the web surface then cannot craft raw frames.
/// <para>
/// Capabilities are per thread and the runtime has started threads before <c>Main</c>, and the unit's system-call filter
/// forbids <c>capset</c> anyway. So the daemon lowers the capability where <c>prctl</c> can (the ambient set the unit
/// grants it through, and the bounding set when it has <c>CAP_SETPCAP</c>, as root does) and executes itself again: the
/// kernel derives the new image's permitted and effective sets from those, for every thread, and the process keeps its
/// pid, so systemd's notifications and the test harness's signals still reach it.
/// </para>
/// </summary>
public static partial class RawSocketPrivilege
{
    public const int CapNetRaw = 13;
    private const int CapSetPcap = 8;
    private const int PrCapbsetDrop = 24;
    private const int PrCapAmbient = 47;
    private const int PrCapAmbientLower = 3;

    /// <summary>Returns when there is nothing to give up, or when it could not be (said on stderr); otherwise never returns.</summary>
    public static void DropUnlessScanning(OutpostOptions options)
    {
        if (options.BuiltInScanner.Enabled || !OperatingSystem.IsLinux() || !Holds("CapPrm", CapNetRaw))
        {
            return;
        }

        if (Holds("CapEff", CapSetPcap))
        {
            _ = Prctl(PrCapbsetDrop, CapNetRaw, 0, 0, 0);
        }

        _ = Prctl(PrCapAmbient, PrCapAmbientLower, CapNetRaw, 0, 0);
        // Root's permitted set after exec is its bounding set; anyone else's is what stays ambient (no file capabilities
        // on the binary, NoNewPrivileges in the unit). Executing again when neither lost it would only loop.
        if (Holds("CapBnd", CapNetRaw) && (Environment.UserName == "root" || Holds("CapAmb", CapNetRaw)))
        {
            Console.Error.WriteLine("outpost: could not give up CAP_NET_RAW (the built-in scanner is off); running with it.");
            return;
        }

        var arguments = File.ReadAllText("/proc/self/cmdline", Encoding.UTF8).TrimEnd('\0').Split('\0');
        _ = Execv("/proc/self/exe", [.. arguments, null]);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"outpost: could not restart itself without CAP_NET_RAW (errno {Marshal.GetLastPInvokeError()}); running with it."));
    }

    /// <summary>Whether capability <paramref name="capability"/> is in the set named <paramref name="field"/> of /proc/self/status.</summary>
    public static bool Holds(string field, int capability) => (Probe.Capture.ProcessCapabilities.Mask(field) & (1UL << capability)) != 0;

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execv(string path, string?[] argv);
}
