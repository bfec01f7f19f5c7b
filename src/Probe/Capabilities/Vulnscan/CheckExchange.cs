using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Capabilities.Fingerprint.Rules;
using Outpost.Probe.Capabilities.Vulnscan.Catalogue;

namespace Outpost.Probe.Capabilities.Vulnscan;

/// <summary>
/// Runs what a network check sends (docs/vulnscan.md) on a connection of its own, through the run's
/// <see cref="ConnectionGate"/> (the job's rate and per-host limit), and returns the observation the matchers read:
/// the fingerprint's facts plus the reply. Null when the service could not be asked (refused, timed out, TLS failed):
/// then the check has no verdict, and the appliance must not read its silence as "fixed".
/// </summary>
internal static class CheckExchange
{
    /// <summary>The most of an HTTP body a check reads.</summary>
    public const int MaxBody = 64 * 1024;

    public static async Task<Observation?> RunAsync(VulnCheck check, Observation facts, ConnectionGate gate, FingerprintOptions options, CancellationToken ct)
    {
        var send = check.Send ?? throw new ArgumentException($"{check.Id} sends nothing", nameof(check));
        var endpoint = new IPEndPoint(IPAddress.Parse(facts.Ip), facts.Port);
        if (send.Handshake)
        {
            return await HandshakeAsync(facts, endpoint, gate, options, ct).ConfigureAwait(false);
        }

        if (send.Http is { } http)
        {
            var request = HttpRequest(http, facts, options);
            var reply = await ExchangeAsync(endpoint, facts.Tls is not null, greeting: false, [request], toEnd: true, gate, options, ct).ConfigureAwait(false);
            return reply is null ? null : HttpReply(facts, reply);
        }

        var tcp = send.Tcp!;
        var text = await ExchangeAsync(endpoint, tcp.InsideTls, tcp.Greeting, tcp.Steps, toEnd: false, gate, options, ct).ConfigureAwait(false);
        return text is null ? null : facts with { Reply = text };
    }

    // Connects, reads the greeting when asked, then sends each step and reads its reply; all the replies, as Latin-1.
    private static async Task<string?> ExchangeAsync(IPEndPoint endpoint, bool tls, bool greeting, IReadOnlyList<byte[]> steps, bool toEnd,
        ConnectionGate gate, FingerprintOptions options, CancellationToken ct)
    {
        var (connection, outcome) = await ProbeConnection.OpenAsync(gate, endpoint, tls, options, ct).ConfigureAwait(false);
        if (connection is null || outcome != ConnectOutcome.Connected)
        {
            return null;
        }

        await using (connection.ConfigureAwait(false))
        {
            var reply = new StringBuilder();
            if (greeting)
            {
                var first = await connection.ReadAsync(options.ReadTimeout, toEnd: false, _ => false, ct).ConfigureAwait(false);
                reply.Append(RuleDatabase.Latin1(first.Bytes.Span));
                if (first.Closed)
                {
                    return reply.ToString();
                }
            }

            foreach (var step in steps)
            {
                await connection.SendAsync(step, ct).ConfigureAwait(false);
                var answer = await connection.ReadAsync(options.ReadTimeout, toEnd, _ => false, ct).ConfigureAwait(false);
                reply.Append(RuleDatabase.Latin1(answer.Bytes.Span));
                if (answer.Closed)
                {
                    break;
                }
            }

            return reply.ToString();
        }
    }

    // HTTP/1.0 with Connection: close, so the body ends where the connection does (no chunked coding to undo).
    private static byte[] HttpRequest(HttpProbe http, Observation facts, FingerprintOptions options) => Encoding.Latin1.GetBytes(string.Create(
        CultureInfo.InvariantCulture,
        $"{http.Method} {http.Path} HTTP/1.0\r\nHost: {facts.Ip}:{facts.Port}\r\nUser-Agent: {options.UserAgent}\r\n{ScanAttribution.HeaderLine(options.Attribution)}Accept: */*\r\nConnection: close\r\n\r\n"));

    private static Observation? HttpReply(Observation facts, string reply)
    {
        var headerEnd = reply.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = headerEnd < 0 ? reply : reply[..headerEnd];
        var lines = head.Split("\r\n");
        var statusLine = lines[0].Split(' ', 3);
        if (statusLine.Length < 2 || !statusLine[0].StartsWith("HTTP/", StringComparison.Ordinal)
            || !int.TryParse(statusLine[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            // Not HTTP: the check could not be asked.
            return null;
        }

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                var name = line[..colon].Trim().ToLowerInvariant();
                var value = line[(colon + 1)..].Trim();
                headers[name] = headers.TryGetValue(name, out var earlier) ? earlier + ", " + value : value;
            }
        }

        var body = headerEnd < 0 ? "" : reply[(headerEnd + 4)..];
        return facts with { Status = status, Headers = headers, Body = body.Length > MaxBody ? body[..MaxBody] : body };
    }

    // The certificate afresh, for what the fingerprint leaves out (its signature algorithm).
    private static async Task<Observation?> HandshakeAsync(Observation facts, IPEndPoint endpoint, ConnectionGate gate, FingerprintOptions options, CancellationToken ct)
    {
        using var slot = await gate.EnterAsync(endpoint.Address, ct).ConfigureAwait(false);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.ConnectTimeout + options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(TlsInspector.ClientOptions(facts.Ip), timeout.Token).ConfigureAwait(false);
            using var certificate = tls.RemoteCertificate is { } remote ? new X509Certificate2(remote) : null;
            if (certificate is null)
            {
                return null;
            }

            return facts with { Tls = TlsInspector.Facts(tls), Signature = certificate.SignatureAlgorithm.FriendlyName ?? certificate.SignatureAlgorithm.Value };
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException
            || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }
}
