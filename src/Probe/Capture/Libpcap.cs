// The libpcap C API, as much of it as the probe uses, bound with source-generated P/Invoke. The bindings name
// Debian's libpcap.so.0.8; a resolver registered before the first call maps that name to whichever runtime
// library this distribution has (see PcapLibrary).

using System.Runtime.InteropServices;

namespace Outpost.Probe.Capture;

internal static unsafe partial class Libpcap
{
    public const string Library = "libpcap.so.0.8";

    static Libpcap() => NativeLibrary.SetDllImportResolver(typeof(Libpcap).Assembly, (name, _, _) =>
        name == Library && PcapLibrary.TryLoad(out var handle, out _) ? handle : IntPtr.Zero);
    public const int ErrorBufferSize = 256;
    public const int ErrorPermissionDenied = -8;
    public const int ErrorNoSuchDevice = -5;
    public const uint NetmaskUnknown = 0xFFFFFFFF;
    public const int DltEthernet = 1;

    /// <summary>pcap_direction_t.</summary>
    public const int DirectionIn = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct PacketHeader
    {
        public long Seconds;
        public long Microseconds;
        public uint CaptureLength;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Statistics
    {
        public uint Received;
        public uint Dropped;
        public uint InterfaceDropped;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct BpfProgram
    {
        public uint Length;
        public IntPtr Instructions;
    }

    [LibraryImport(Library, EntryPoint = "pcap_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr Create(string source, byte* errorBuffer);

    [LibraryImport(Library, EntryPoint = "pcap_set_snaplen")]
    public static partial int SetSnapLength(IntPtr handle, int snapLength);

    [LibraryImport(Library, EntryPoint = "pcap_set_promisc")]
    public static partial int SetPromiscuous(IntPtr handle, int promiscuous);

    [LibraryImport(Library, EntryPoint = "pcap_set_timeout")]
    public static partial int SetTimeout(IntPtr handle, int milliseconds);

    [LibraryImport(Library, EntryPoint = "pcap_set_buffer_size")]
    public static partial int SetBufferSize(IntPtr handle, int bytes);

    [LibraryImport(Library, EntryPoint = "pcap_set_immediate_mode")]
    public static partial int SetImmediateMode(IntPtr handle, int immediate);

    [LibraryImport(Library, EntryPoint = "pcap_activate")]
    public static partial int Activate(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "pcap_geterr")]
    public static partial IntPtr GetError(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "pcap_statustostr")]
    public static partial IntPtr StatusToString(int status);

    [LibraryImport(Library, EntryPoint = "pcap_datalink")]
    public static partial int DataLink(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "pcap_setdirection")]
    public static partial int SetDirection(IntPtr handle, int direction);

    [LibraryImport(Library, EntryPoint = "pcap_compile", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Compile(IntPtr handle, BpfProgram* program, string filter, int optimize, uint netmask);

    [LibraryImport(Library, EntryPoint = "pcap_setfilter")]
    public static partial int SetFilter(IntPtr handle, BpfProgram* program);

    [LibraryImport(Library, EntryPoint = "pcap_freecode")]
    public static partial void FreeCode(BpfProgram* program);

    [LibraryImport(Library, EntryPoint = "pcap_loop")]
    public static partial int Loop(IntPtr handle, int count, delegate* unmanaged<IntPtr, PacketHeader*, byte*, void> callback, IntPtr user);

    [LibraryImport(Library, EntryPoint = "pcap_breakloop")]
    public static partial void BreakLoop(IntPtr handle);


    [LibraryImport(Library, EntryPoint = "pcap_stats")]
    public static partial int Stats(IntPtr handle, Statistics* statistics);


    [LibraryImport(Library, EntryPoint = "pcap_close")]
    public static partial void Close(IntPtr handle);

    public static string ErrorOf(IntPtr handle) => Marshal.PtrToStringUTF8(GetError(handle)) ?? "unknown libpcap error";

    public static string DescribeStatus(int status) => Marshal.PtrToStringUTF8(StatusToString(status)) ?? $"libpcap status {status}";
}
