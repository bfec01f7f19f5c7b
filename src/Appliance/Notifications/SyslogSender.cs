using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Outpost.Store.Records.Notifications;

namespace Outpost.Appliance.Notifications;

/// <summary>
/// Sends a delivery as one RFC 5424 syslog message: over UDP one message per datagram (RFC 5426), over TCP one
/// connection per delivery with octet-counting framing, <c>LEN SP MSG</c> (RFC 6587 section 3.4.1), which needs no
/// escaping whatever the message holds.
///
/// The message: <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME outpost PROCID MSGID [origin software="outpost"] BOM summary</c>.
/// PRI is facility local0 (16) times 8 plus the severity; MSGID is the event (<c>vulnerability.opened</c> …);
/// <c>origin</c> is the IANA-registered SD-ID, so no private enterprise number is needed; the summary is UTF-8, so it
/// starts with a BOM as section 6.4 asks.
/// </summary>
public static class SyslogSender
{
    public const int Facility = 16;

    /// <summary>Messages longer than this are cut: every receiver must take 480 octets and should take 2048 (RFC 5424 section 6.1).</summary>
    public const int MaxMessageBytes = 2048;

    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    public static byte[] Format(OutboxDelivery delivery, string hostName, int processId)
    {
        var header = string.Create(CultureInfo.InvariantCulture,
            $"<{Facility * 8 + delivery.Message.SyslogSeverity}>1 {delivery.CreatedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ss.ffffffZ} {PrintableOrNil(hostName, 255)} outpost {processId} {PrintableOrNil(delivery.Message.Event, 32)} [origin software=\"outpost\"] ");
        var head = Encoding.ASCII.GetBytes(header);
        var text = Encoding.UTF8.GetBytes(delivery.Message.Summary);
        var room = MaxMessageBytes - head.Length - Bom.Length;
        var length = Math.Min(text.Length, room);
        // Never cut inside a UTF-8 sequence: back off over continuation bytes.
        while (length < text.Length && length > 0 && (text[length] & 0xC0) == 0x80)
        {
            length--;
        }

        return [.. head, .. Bom, .. text.AsSpan(0, length)];
    }

    public static async Task SendAsync(OutboxDelivery delivery, CancellationToken ct)
    {
        var target = new Uri(delivery.Message.Target);
        var message = Format(delivery, Environment.MachineName, Environment.ProcessId);
        if (target.Scheme == "udp")
        {
            using var udp = new UdpClient();
            await udp.SendAsync(message, target.IdnHost, target.Port, ct);
            return;
        }

        using var tcp = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await tcp.ConnectAsync(target.IdnHost, target.Port, timeout.Token);
        var stream = tcp.GetStream();
        // One write per frame: the length prefix and the message together.
        byte[] frame = [.. Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{message.Length} ")), .. message];
        await stream.WriteAsync(frame, timeout.Token);
        await stream.FlushAsync(timeout.Token);
        tcp.Client.Shutdown(SocketShutdown.Send);
    }

    /// <summary>A header field: printable US-ASCII without spaces, at most <paramref name="max"/> characters, or the NILVALUE "-".</summary>
    private static string PrintableOrNil(string value, int max)
    {
        var kept = new StringBuilder(Math.Min(value.Length, max));
        foreach (var c in value)
        {
            if (c is >= '!' and <= '~' && kept.Length < max)
            {
                kept.Append(c);
            }
        }

        return kept.Length == 0 ? "-" : kept.ToString();
    }
}
