// HOT PATH: the capture callback runs once per captured frame. It allocates nothing and takes no locks.
//
// Capture is a libpcap handle; sending goes through a separate send-only packet socket (PacketSocketSender), because
// their needs conflict:
// - the capture handle has a 32 MiB kernel ring, a 128-byte snaplen, capture direction "in" only, and a kernel
//   BPF filter for our replies. It is not in immediate mode, so the kernel hands frames over a block at a time
//   (fewer wake-ups at high reply rates) — which is also why libpcap's read timeout cannot be relied on to end the
//   loop on a silent network: StopReceiving uses pcap_breakloop, which since libpcap 1.10 wakes the blocked poll.
// - the sender captures nothing (a protocol-0 packet socket receives no frames) and hands the kernel whole batches;
//   see PacketSocketSender for why it is not pcap_inject.

using System.Runtime.InteropServices;

namespace Outpost.Probe.Capture;

/// <summary>The production <see cref="IPacketDevice"/>: libpcap on a Linux interface.</summary>
public sealed unsafe class PcapDevice : IPacketDevice
{
    private readonly IntPtr _receive;
    private readonly string _interface;
    private int _disposed;

    private PcapDevice(IntPtr receive, string interfaceName)
    {
        _receive = receive;
        _interface = interfaceName;
    }

    /// <summary>Opens both handles on <paramref name="request"/>'s interface; throws <see cref="PacketDeviceException"/>.</summary>
    public static PcapDevice Open(DeviceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var receive = IntPtr.Zero;
        try
        {
            receive = Create(request.Interface, request.SnapLength, request.BufferBytes, request.ReadTimeout);
            if (Libpcap.DataLink(receive) != Libpcap.DltEthernet)
            {
                throw new PacketDeviceException($"Interface {request.Interface} is not Ethernet (libpcap link type {Libpcap.DataLink(receive)}); only Ethernet and loopback are supported.");
            }

            if (Libpcap.SetDirection(receive, Libpcap.DirectionIn) != 0)
            {
                throw new PacketDeviceException($"Cannot restrict capture on {request.Interface} to incoming frames: {Libpcap.ErrorOf(receive)}");
            }

            var program = default(Libpcap.BpfProgram);
            if (Libpcap.Compile(receive, &program, request.ToBpf(), 1, Libpcap.NetmaskUnknown) != 0)
            {
                throw new PacketDeviceException($"Cannot compile the reply filter: {Libpcap.ErrorOf(receive)}");
            }

            var set = Libpcap.SetFilter(receive, &program);
            Libpcap.FreeCode(&program);
            if (set != 0)
            {
                throw new PacketDeviceException($"Cannot install the reply filter: {Libpcap.ErrorOf(receive)}");
            }

            return new PcapDevice(receive, request.Interface);
        }
        catch
        {
            if (receive != IntPtr.Zero)
            {
                Libpcap.Close(receive);
            }

            throw;
        }
    }

    public IFrameSender CreateSender() => PacketSocketSender.Open(_interface);

    public void Receive(IFrameSink sink)
    {
        var context = new ReceiveContext(sink, _receive);
        var handle = GCHandle.Alloc(context);
        try
        {
            var rc = Libpcap.Loop(_receive, -1, &OnPacket, GCHandle.ToIntPtr(handle));
            if (context.Failure is not null)
            {
                throw new PacketDeviceException("The reply handler failed.", context.Failure);
            }

            if (rc == -1)
            {
                throw new PacketDeviceException($"Capture failed: {Libpcap.ErrorOf(_receive)}");
            }
        }
        finally
        {
            handle.Free();
        }
    }

    public void StopReceiving() => Libpcap.BreakLoop(_receive);

    public CaptureStatistics ReadStatistics()
    {
        Libpcap.Statistics stats;
        return Libpcap.Stats(_receive, &stats) == 0 ? new CaptureStatistics(stats.Received, stats.Dropped) : default;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Libpcap.Close(_receive);
        }
    }

    private static IntPtr Create(string device, int snapLength, int bufferBytes, TimeSpan timeout)
    {
        var error = stackalloc byte[Libpcap.ErrorBufferSize];
        error[0] = 0;
        var handle = Libpcap.Create(device, error);
        if (handle == IntPtr.Zero)
        {
            throw new PacketDeviceException($"libpcap cannot open {device}: {Marshal.PtrToStringUTF8((IntPtr)error)}");
        }

        _ = Libpcap.SetSnapLength(handle, snapLength);
        _ = Libpcap.SetPromiscuous(handle, 0);
        _ = Libpcap.SetTimeout(handle, Math.Max(1, (int)timeout.TotalMilliseconds));
        _ = Libpcap.SetBufferSize(handle, bufferBytes);
        _ = Libpcap.SetImmediateMode(handle, 0);
        var status = Libpcap.Activate(handle);
        if (status < 0)
        {
            var detail = Libpcap.ErrorOf(handle);
            Libpcap.Close(handle);
            throw status switch
            {
                Libpcap.ErrorPermissionDenied => new PacketDeviceException(
                    $"Raw packet access on {device} was denied: outpost-probe needs CAP_NET_RAW (run as root, or `setcap cap_net_raw,cap_net_admin+ep` on the binary).", permissionDenied: true),
                Libpcap.ErrorNoSuchDevice => new PacketDeviceException($"There is no network interface named {device}."),
                _ => new PacketDeviceException($"libpcap cannot activate {device}: {Libpcap.DescribeStatus(status)} ({detail})"),
            };
        }

        return handle;
    }

    // An exception must not unwind into libpcap's C frames: it is kept, the loop is broken, and Receive rethrows.
    [UnmanagedCallersOnly]
    private static void OnPacket(IntPtr user, Libpcap.PacketHeader* header, byte* bytes)
    {
        var context = (ReceiveContext)GCHandle.FromIntPtr(user).Target!;
        try
        {
            context.Sink.OnFrame(new ReadOnlySpan<byte>(bytes, (int)header->CaptureLength));
        }
        catch (Exception ex)
        {
            context.Failure ??= ex;
            Libpcap.BreakLoop(context.Handle);
        }
    }

    private sealed class ReceiveContext(IFrameSink sink, IntPtr handle)
    {
        public IFrameSink Sink { get; } = sink;

        public IntPtr Handle { get; } = handle;

        public Exception? Failure { get; set; }
    }
}

/// <summary>Opens <see cref="PcapDevice"/>s.</summary>
public sealed class PcapDeviceFactory : IPacketDeviceFactory
{
    public IPacketDevice Open(DeviceRequest request) => PcapDevice.Open(request);
}
