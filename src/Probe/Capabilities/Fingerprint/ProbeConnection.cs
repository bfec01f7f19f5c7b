using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Outpost.Probe.Capabilities.Fingerprint;

/// <summary>How opening a probe connection ended.</summary>
internal enum ConnectOutcome
{
    Connected,
    Refused,
    Filtered,
    TlsFailed,
}

/// <summary>
/// One TCP connection of one probe (optionally inside TLS), holding its slot of the host's connection limit until
/// disposed. Reads are bounded by size and time so a slow or endless service cannot hold a probe.
/// </summary>
internal sealed class ProbeConnection : IAsyncDisposable
{
    /// <summary>After the first bytes, a reply is complete when this long passes without more.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    private const int MaxReply = 16 * 1024;
    private const int MaxReplyToEnd = 64 * 1024;

    private readonly Socket _socket;
    private Stream _stream;
    private int _disposed;
    private readonly ConnectionGate.Slot _slot;

    private ProbeConnection(Socket socket, Stream stream, ConnectionGate.Slot slot, TlsFacts? tls)
    {
        _socket = socket;
        _stream = stream;
        _slot = slot;
        Tls = tls;
    }

    /// <summary>The session's facts when the connection runs inside TLS.</summary>
    public TlsFacts? Tls { get; }

    public static async Task<(ProbeConnection? Connection, ConnectOutcome Outcome)> OpenAsync(ConnectionGate gate, IPEndPoint endpoint,
        bool tls, FingerprintOptions options, CancellationToken ct)
    {
        var slot = await gate.EnterAsync(endpoint.Address, ct).ConfigureAwait(false);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(options.ConnectTimeout);
                try
                {
                    await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    return Fail(ConnectOutcome.Refused);
                }
                catch (SocketException)
                {
                    // Unreachable host or network, reset during the handshake: nothing answers there.
                    return Fail(ConnectOutcome.Filtered);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    return Fail(ConnectOutcome.Filtered);
                }
            }

            stream = new NetworkStream(socket, ownsSocket: false);
            if (!tls)
            {
                return (new ProbeConnection(socket, stream, slot, null), ConnectOutcome.Connected);
            }

            var secure = new SslStream(stream, leaveInnerStreamOpen: false);
            stream = secure;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(options.ConnectTimeout);
                try
                {
                    await secure.AuthenticateAsClientAsync(TlsInspector.ClientOptions(endpoint.Address.ToString()), timeout.Token).ConfigureAwait(false);
                    return (new ProbeConnection(socket, secure, slot, TlsInspector.Facts(secure)), ConnectOutcome.Connected);
                }
                catch (Exception ex) when (ex is AuthenticationException or IOException
                    || (ex is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    // Not TLS (or no TLS we can speak): the caller tries the other probes.
                    return Fail(ConnectOutcome.TlsFailed);
                }
            }
        }
        catch
        {
            Release();
            throw;
        }

        (ProbeConnection?, ConnectOutcome) Fail(ConnectOutcome outcome)
        {
            Release();
            return (null, outcome);
        }

        void Release()
        {
            stream?.Dispose();
            socket.Dispose();
            slot.Dispose();
        }
    }

    public async Task SendAsync(byte[] payload, CancellationToken ct)
    {
        try
        {
            await _stream.WriteAsync(payload, ct).ConfigureAwait(false);
            await _stream.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The service closed before taking the probe; what it said before (if anything) is still read.
        }
    }

    /// <summary>
    /// Reads a reply: waits up to <paramref name="firstByte"/> for it to start, then reads until the service
    /// closes, the reply is <paramref name="complete"/>, it pauses (unless <paramref name="toEnd"/>) or the size cap.
    /// </summary>
    public async Task<ProbeReply> ReadAsync(TimeSpan firstByte, bool toEnd, Func<string, bool> complete, CancellationToken ct)
    {
        var buffer = new byte[toEnd ? MaxReplyToEnd : MaxReply];
        var length = 0;
        var closed = false;
        while (length < buffer.Length)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(length == 0 || toEnd ? firstByte : Settle);
            int read;
            try
            {
                read = await _stream.ReadAsync(buffer.AsMemory(length), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                break;
            }
            catch (IOException)
            {
                closed = true;
                break;
            }

            if (read == 0)
            {
                closed = true;
                break;
            }

            length += read;
            if (!toEnd && complete(Rules.RuleDatabase.Latin1(buffer.AsSpan(0, length))))
            {
                break;
            }
        }

        return new ProbeReply(buffer.AsMemory(0, length), closed);
    }

    /// <summary>Continues this connection in TLS (after a STARTTLS dialogue); null when the handshake fails.</summary>
    public async Task<TlsFacts?> UpgradeToTlsAsync(string host, TimeSpan timeout, CancellationToken ct)
    {
        var secure = new SslStream(_stream, leaveInnerStreamOpen: false);
        _stream = secure;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await secure.AuthenticateAsClientAsync(TlsInspector.ClientOptions(host), limit.Token).ConfigureAwait(false);
            return TlsInspector.Facts(secure);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>Closes the connection and frees its slot; safe to call twice (the slot is freed once).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        _slot.Dispose();
    }
}

/// <summary>What one probe got back: the bytes, and whether the service closed the connection.</summary>
internal readonly record struct ProbeReply(ReadOnlyMemory<byte> Bytes, bool Closed);
