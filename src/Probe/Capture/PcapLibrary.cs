using System.Runtime.InteropServices;

namespace Outpost.Probe.Capture;

/// <summary>
/// Finds libpcap's runtime library, which distributions name differently: Debian ships libpcap.so.0.8
/// (package libpcap0.8), Fedora and RHEL ship libpcap.so.1. Neither installs an unversioned libpcap.so without
/// the -dev package, so the P/Invoke bindings resolve through here.
/// </summary>
public static class PcapLibrary
{
    public static IReadOnlyList<string> Names { get; } = ["libpcap.so.0.8", "libpcap.so.1"];

    /// <summary>Loads the first name that exists; the handle stays loaded (callers may free it).</summary>
    public static bool TryLoad(out IntPtr handle, out string name)
    {
        foreach (var candidate in Names)
        {
            if (NativeLibrary.TryLoad(candidate, out handle))
            {
                name = candidate;
                return true;
            }
        }
        handle = IntPtr.Zero;
        name = string.Join(" or ", Names);
        return false;
    }
}
