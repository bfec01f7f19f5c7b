using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Outpost.Probe.Systemd;

/// <summary>
/// The sd_notify protocol without libsystemd: one datagram per state change to the unix socket named by
/// <c>$NOTIFY_SOCKET</c> (a leading '@' means the abstract namespace). Outside systemd there is no socket and every
/// call is a no-op.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endPoint;

    public SystemdNotifier(string? socketPath)
    {
        if (string.IsNullOrEmpty(socketPath))
        {
            return;
        }

        _endPoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    public static SystemdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    /// <summary>True when started by systemd with a notify socket.</summary>
    public bool IsActive => _socket is not null;

    /// <summary>Half of <c>WATCHDOG_USEC</c> when systemd asked this process for watchdog pings, else null.</summary>
    public static TimeSpan? WatchdogPeriod()
    {
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var micro) || micro <= 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(micro / 2.0);
    }

    /// <summary>True when stderr goes to the journal, so logs should use its format (priority prefixes, no colours).</summary>
    public static bool LogsToJournal() => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));

    public void Notify(string state)
    {
        if (_socket is null)
        {
            return;
        }

        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), SocketFlags.None, _endPoint!);
        }
        catch (SocketException)
        {
            // systemd went away or the socket was never ours: nothing useful to do, and never worth crashing for.
        }
    }

    public void Dispose() => _socket?.Dispose();
}
