using Outpost.Probe.Packets;

namespace Outpost.Probe.Capture;

/// <summary>
/// The packet I/O seam of the engine: sends whole Ethernet frames and delivers captured ones. The production
/// implementation is <see cref="PcapDevice"/> (libpcap on a real interface); <see cref="SimulatedNetworkDevice"/>
/// answers in memory so the whole engine can be tested without a network.
/// </summary>
public interface IPacketDevice : IDisposable
{
    /// <summary>A sender for one send thread (senders are not shared between threads); dispose it before the device.</summary>
    IFrameSender CreateSender();

    /// <summary>Runs the capture loop on the calling thread, handing each frame to <paramref name="sink"/>, until <see cref="StopReceiving"/>.</summary>
    void Receive(IFrameSink sink);

    /// <summary>Makes <see cref="Receive"/> return promptly, even if no packet ever arrives. Safe from any thread.</summary>
    void StopReceiving();

    /// <summary>Capture counters so far; read after <see cref="Receive"/> has returned.</summary>
    CaptureStatistics ReadStatistics();
}

/// <summary>Sends frames on the device's interface; owned by one thread.</summary>
public interface IFrameSender : IDisposable
{
    /// <summary>
    /// Sends <paramref name="count"/> frames of <paramref name="frameLength"/> bytes laid end to end in
    /// <paramref name="frames"/>. Returns how many the OS accepted.
    /// </summary>
    int Send(ReadOnlySpan<byte> frames, int frameLength, int count);
}

/// <summary>Receives captured frames. Called on the receive thread; must not block or allocate.</summary>
public interface IFrameSink
{
    void OnFrame(ReadOnlySpan<byte> frame);
}

/// <summary>Kernel capture counters: frames that passed the filter, and frames dropped because the buffer was full.</summary>
public readonly record struct CaptureStatistics(long Received, long Dropped);

/// <summary>Opens devices; the engine asks for one per scan.</summary>
public interface IPacketDeviceFactory
{
    IPacketDevice Open(DeviceRequest request);
}

/// <summary>
/// What the engine needs from a device: the interface, and which replies to capture — TCP to our source address
/// and source-port range, with ACK set together with SYN or RST (everything else is someone else's traffic).
/// </summary>
public sealed record DeviceRequest(string Interface, Ipv4H OurAddress, ushort FirstSourcePort, ushort LastSourcePort)
{
    /// <summary>Bytes kept per captured frame: Ethernet + IPv4 with options + TCP header fits easily.</summary>
    public int SnapLength { get; init; } = 128;

    /// <summary>Kernel capture buffer; large so a burst of replies at 1M probes/s is not dropped.</summary>
    public int BufferBytes { get; init; } = 32 << 20;

    /// <summary>
    /// How long the kernel may hold a partly filled capture block before handing it over (libpcap's read timeout,
    /// without immediate mode). The scan's wait after the last send must exceed it.
    /// </summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The kernel BPF filter selecting our replies, in pcap-filter syntax.</summary>
    public string ToBpf() =>
        $"tcp and dst host {OurAddress} and dst portrange {FirstSourcePort}-{LastSourcePort} "
        + "and tcp[13] & 0x10 != 0 and tcp[13] & 0x06 != 0";
}
