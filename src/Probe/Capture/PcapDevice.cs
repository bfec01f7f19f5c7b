// HOT PATH: OnFrame runs once per captured frame, inside pcap_dispatch on the receive thread. It allocates nothing
// and takes no locks.
//
// Capture is a SharpPcap live device; sending goes through a separate send-only packet socket (PacketSocketSender),
// because their needs conflict:
// - the capture handle has a 32 MiB kernel ring, a 128-byte snaplen, capture direction "in" only, and a kernel
//   BPF filter for our replies. It is not in
//   immediate mode, so the kernel hands frames over a block at a time (fewer wake-ups at high reply rates) — which
//   is also why libpcap's read timeout cannot be relied on to end the loop on a silent network: StopReceiving uses
//   pcap_breakloop, which since libpcap 1.10 wakes the blocked read.
// - frames are read with pcap_dispatch, which hands every frame of the ring blocks the kernel has filled to OnFrame
//   in place, one native call per wake-up. SharpPcap's GetNextPacketPointers (pcap_next_ex) was one P/Invoke, two
//   SafeHandle reference-count updates and a copy of the frame into libpcap's one-shot buffer per frame; its
//   GetNextPacket and background capture allocate a header object per frame.
//   Measured with perf, 16 × 65 535 probes at maximum rate over a veth pair (2 cores, load average 25–37 from other
//   work): the receive thread took 5.4–6.7 % of the scan's CPU samples with pcap_next_ex (four runs), 5.3–5.4 % with
//   pcap_dispatch (two). What is left is mostly the first read of each frame, which the kernel wrote on another core.
// - the sender captures nothing (a protocol-0 packet socket receives no frames) and hands the kernel whole batches;
//   see PacketSocketSender for why it is not SharpPcap's SendPacket.
// docs/probe-engine.md lists which parts are SharpPcap and which are ours, and why.

using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Outpost.Probe.Capture;

/// <summary>The production <see cref="IPacketDevice"/>: libpcap (through SharpPcap) on a Linux interface.</summary>
public sealed unsafe class PcapDevice : IPacketDevice
{
    private const int LoopBroken = -2;

    private readonly LibPcapLiveDevice _capture;
    private readonly string _interface;
    private int _disposed;

    private PcapDevice(LibPcapLiveDevice capture, string interfaceName)
    {
        _capture = capture;
        _interface = interfaceName;
    }

    /// <summary>Opens the capture handle on <paramref name="request"/>'s interface; throws <see cref="PacketDeviceException"/>.</summary>
    public static PcapDevice Open(DeviceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var capture = Find(request.Interface);
        try
        {
            capture.Open(new DeviceConfiguration
            {
                Snaplen = request.SnapLength,
                Mode = DeviceModes.None,
                ReadTimeout = Math.Max(1, (int)request.ReadTimeout.TotalMilliseconds),
                BufferSize = request.BufferBytes,
                Immediate = false,
            });
        }
        catch (PcapException ex)
        {
            capture.Close();
            throw ex.Error switch
            {
                PcapError.PermissionDenied => NoRawAccess(request.Interface),
                PcapError.NoSuchDevice => new PacketDeviceException($"There is no network interface named {request.Interface}."),
                _ => new PacketDeviceException($"libpcap cannot open {request.Interface}: {ex.Message}", ex),
            };
        }

        try
        {
            if (capture.LinkType != PacketDotNet.LinkLayers.Ethernet)
            {
                throw new PacketDeviceException($"Interface {request.Interface} is not Ethernet (libpcap link type {capture.LinkType}); only Ethernet and loopback are supported.");
            }

            if (Libpcap.SetDirection(capture.Handle, Libpcap.DirectionIn) != 0)
            {
                throw new PacketDeviceException($"Cannot restrict capture on {request.Interface} to incoming frames: {capture.LastError}");
            }

            capture.Filter = request.ToBpf();
            return new PcapDevice(capture, request.Interface);
        }
        catch (PcapException ex)
        {
            capture.Close();
            throw new PacketDeviceException($"Cannot install the reply filter on {request.Interface}: {ex.Message}", ex);
        }
        catch
        {
            capture.Close();
            throw;
        }
    }

    /// <summary>The one-line error every path that lacks CAP_NET_RAW reports.</summary>
    internal static PacketDeviceException NoRawAccess(string? interfaceName) => new(
        $"Raw packet access{(interfaceName is null ? "" : " on " + interfaceName)} was denied: outpost-probe needs CAP_NET_RAW (run as root, or `setcap cap_net_raw,cap_net_admin+ep` on the binary).",
        permissionDenied: true);

    public IFrameSender CreateSender() => PacketSocketSender.Open(_interface);

    public void Receive(IFrameSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var dispatch = new Dispatch(sink, _capture.Handle);
        var state = new GCHandle<Dispatch>(dispatch);
        try
        {
            while (true)
            {
                // A count of -1: every frame of the blocks that are ready, then back here (0 when the read timed out).
                var status = Libpcap.Dispatch(_capture.Handle, -1, &OnFrame, GCHandle<Dispatch>.ToIntPtr(state));
                dispatch.Failure?.Throw();
                if (status == LoopBroken)
                {
                    return;
                }

                if (status < 0)
                {
                    throw new PacketDeviceException($"Capture on {_interface} failed: {_capture.LastError}");
                }
            }
        }
        finally
        {
            state.Dispose();
        }
    }

    public void StopReceiving() => Libpcap.BreakLoop(_capture.Handle);

    public CaptureStatistics ReadStatistics()
    {
        Libpcap.Statistics stats;
        return Libpcap.Stats(_capture.Handle, &stats) == 0 ? new CaptureStatistics(stats.Received, stats.Dropped) : default;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _capture.Close();
        }
    }

    // Called by libpcap for each frame. An exception must not unwind into native code: it is kept, the loop is broken,
    // and Receive rethrows it on its own thread.
    [UnmanagedCallersOnly]
    private static void OnFrame(IntPtr user, Libpcap.PacketHeader* header, byte* data)
    {
        var dispatch = GCHandle<Dispatch>.FromIntPtr(user).Target;
        try
        {
            dispatch.Sink.OnFrame(new ReadOnlySpan<byte>(data, (int)header->CapturedLength));
        }
        catch (Exception ex)
        {
            dispatch.Failure = ExceptionDispatchInfo.Capture(ex);
            Libpcap.BreakLoop(dispatch.Handle);
        }
    }

    private sealed class Dispatch(IFrameSink sink, PcapHandle handle)
    {
        public IFrameSink Sink { get; } = sink;

        public PcapHandle Handle { get; } = handle;

        public ExceptionDispatchInfo? Failure { get; set; }
    }

    // A fresh list (not SharpPcap's process-wide Instance): interfaces come and go between scans.
    private static LibPcapLiveDevice Find(string name)
    {
        LibPcapLiveDeviceList devices;
        try
        {
            devices = LibPcapLiveDeviceList.New();
        }
        catch (PcapException ex)
        {
            throw new PacketDeviceException($"libpcap cannot list the network interfaces: {ex.Message}", ex);
        }

        foreach (var device in devices)
        {
            if (device.Name == name)
            {
                return device;
            }
        }

        throw new PacketDeviceException($"There is no network interface named {name}.");
    }
}

/// <summary>Opens <see cref="PcapDevice"/>s.</summary>
public sealed class PcapDeviceFactory : IPacketDeviceFactory
{
    public IPacketDevice Open(DeviceRequest request) => PcapDevice.Open(request);
}
