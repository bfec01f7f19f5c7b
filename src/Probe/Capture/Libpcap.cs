// The libpcap calls SharpPcap does not serve on the capture path, bound on SharpPcap's own handle:
// - pcap_setdirection: SharpPcap has no binding. On loopback every reply is seen leaving and arriving, and only
//   the arrival may count. The filter primitive "inbound" would say the same in BPF, but with it the capture lost
//   18-54 of 100 replies on a veth pair in our runs, where pcap_setdirection loses none.
// - pcap_dispatch: SharpPcap reads one frame per call (GetNextPacketPointers, pcap_next_ex: a P/Invoke, a SafeHandle
//   reference count and libpcap's copy of the frame into its one-shot buffer, per frame) or through its background
//   capture, which allocates a header object per frame; pcap_dispatch hands every frame of the ready ring blocks to
//   one callback in place, in one call (see PcapDevice).
// - pcap_breakloop: SharpPcap calls it only from StopCapture of its background capture loop; the probe needs it to
//   wake its own read on a silent network (see PcapDevice).
// - pcap_stats: SharpPcap reads struct pcap_stat as three pointer-sized fields, but on 64-bit Linux its members are
//   32-bit, so its DroppedPackets is really ps_ifdrop; the probe's drop warning needs ps_drop.
// The bindings name Debian's libpcap.so.0.8; a resolver maps that name to whichever runtime library this distribution
// has (see PcapLibrary).

using System.Runtime.InteropServices;
using SharpPcap.LibPcap;

namespace Outpost.Probe.Capture;

internal static unsafe partial class Libpcap
{
    public const string Library = "libpcap.so.0.8";

    static Libpcap() => NativeLibrary.SetDllImportResolver(typeof(Libpcap).Assembly, (name, _, _) =>
        name == Library && PcapLibrary.TryLoad(out var handle, out _) ? handle : IntPtr.Zero);

    /// <summary>struct pcap_stat on Linux: three 32-bit counters.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Statistics
    {
        public uint Received;
        public uint Dropped;
        public uint InterfaceDropped;
    }

    /// <summary>pcap_direction_t.</summary>
    public const int DirectionIn = 1;

    /// <summary>struct pcap_pkthdr on 64-bit Linux: a 16-byte timeval, then the captured and the original length.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PacketHeader
    {
        public long Seconds;
        public long Microseconds;
        public uint CapturedLength;
        public uint Length;
    }

    [LibraryImport(Library, EntryPoint = "pcap_dispatch")]
    public static partial int Dispatch(PcapHandle handle, int count, delegate* unmanaged<IntPtr, PacketHeader*, byte*, void> callback, IntPtr user);

    [LibraryImport(Library, EntryPoint = "pcap_setdirection")]
    public static partial int SetDirection(PcapHandle handle, int direction);

    [LibraryImport(Library, EntryPoint = "pcap_breakloop")]
    public static partial void BreakLoop(PcapHandle handle);

    [LibraryImport(Library, EntryPoint = "pcap_stats")]
    public static partial int Stats(PcapHandle handle, Statistics* statistics);
}
