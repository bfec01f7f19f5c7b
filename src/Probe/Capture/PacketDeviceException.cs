namespace Outpost.Probe.Capture;

/// <summary>A packet device could not be opened or configured; <see cref="PermissionDenied"/> tells the CLI to ask for CAP_NET_RAW.</summary>
public sealed class PacketDeviceException : Exception
{
    public PacketDeviceException(string message, bool permissionDenied = false)
        : base(message) => PermissionDenied = permissionDenied;

    public PacketDeviceException()
    {
    }

    public PacketDeviceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the OS refused raw packet access (no CAP_NET_RAW).</summary>
    public bool PermissionDenied { get; }
}
