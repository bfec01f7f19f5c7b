using System.Net;
using Outpost.Probe.Capabilities.Fingerprint.Rules;

namespace Outpost.Probe.Capabilities.Fingerprint;

// How one endpoint is identified (docs/fingerprint.md, "How a port is identified").
//
// nmap -sV tries its probes one after another and waits out each silent one; on a port whose service waits for the
// client, that first wait for a banner alone is six seconds. Here the probes the rule database hints for the port
// go first, one by one (on a well-known port the first usually decides it in a millisecond). Then the other probes
// race, each on its own connection within the host's connection limit: the eager ones (banner wait, TLS, HTTP) as
// soon as the first has shown the port is open, the rest after a short grace unless those decided it already, so a
// daemon that forks per connection is not sent a dozen of them for nothing. A service that speaks first sends its
// banner whatever it is sent, so racing loses nothing. The race ends at the first match of a specific rule (or a
// successful TLS handshake, after which the probes run again inside TLS, the first on the handshake's connection);
// otherwise, when all probes are done, the fallback match of the lowest-ordered probe wins. A service with a
// STARTTLS dialogue continues on the connection that read its greeting, for the certificate.
internal sealed class EndpointSession(IPEndPoint endpoint, FingerprintOptions options, ConnectionGate gate)
{
    /// <summary>How long the eager probes race alone (a banner or an HTTP reply on a LAN takes milliseconds).</summary>
    private static readonly TimeSpan LateProbesGrace = TimeSpan.FromMilliseconds(250);

    private readonly RuleDatabase _rules = options.Rules;

    public async Task<ServiceFingerprint> RunAsync(CancellationToken ct)
    {
        var evidence = new Evidence();
        var found = await IdentifyAsync(null, evidence, null, ct).ConfigureAwait(false);
        if (found is null)
        {
            ct.ThrowIfCancellationRequested();
            return Unidentified(evidence, null);
        }

        ct.ThrowIfCancellationRequested();
        return found;
    }

    // spare: the TLS connection whose handshake gave the layer; the first probe inside uses it.
    private async Task<ServiceFingerprint?> IdentifyAsync(TlsFacts? layer, Evidence evidence, ProbeConnection? spare, CancellationToken ct)
    {
        var inTls = layer is not null;
        var port = endpoint.Port;
        var tlsHinted = inTls && _rules.Probes.Any(p => p.TlsPorts.Contains(port));
        var hinted = new List<ServiceProbe>();
        var rest = new List<ServiceProbe>();
        foreach (var probe in _rules.Probes)
        {
            if (inTls && probe.Tls)
            {
                continue;
            }

            var first = inTls ? (tlsHinted ? probe.TlsPorts.Contains(port) : probe.TlsDefault) : probe.Ports.Contains(port);
            (first ? hinted : rest).Add(probe);
        }

        if (hinted.Count == 0 && spare is not null)
        {
            await spare.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var probe in hinted)
        {
            var attempt = await AttemptAsync(probe, layer, evidence, null, spare, ct).ConfigureAwait(false);
            spare = null;
            if (attempt.Found is not null)
            {
                return attempt.Found.Fingerprint;
            }

            if (attempt.Outcome is ConnectOutcome.Refused or ConnectOutcome.Filtered)
            {
                return NotOpen(attempt.Outcome);
            }
        }

        return rest.Count == 0 ? null : await RaceAsync(rest, layer, evidence, knownOpen: hinted.Count > 0, ct).ConfigureAwait(false);
    }

    private async Task<ServiceFingerprint?> RaceAsync(List<ServiceProbe> probes, TlsFacts? layer, Evidence evidence, bool knownOpen, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var connected = new TaskCompletionSource<ConnectOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = new List<Task<Attempt>> { AttemptAsync(probes[0], layer, evidence, connected, null, stop.Token) };
        var outcome = knownOpen ? ConnectOutcome.Connected : await connected.Task.ConfigureAwait(false);
        if (outcome is ConnectOutcome.Refused or ConnectOutcome.Filtered)
        {
            await pending[0].ConfigureAwait(false);
            return NotOpen(outcome);
        }

        // The eager probes (the banner wait, TLS, HTTP: what most ports run) start at once; the others join after a
        // short grace unless one of those already decided it, so a service that speaks first, or a web server, is not
        // sent a connection per probe (which matters to daemons that fork per connection).
        var late = new List<ServiceProbe>();
        for (var i = 1; i < probes.Count; i++)
        {
            if (probes[i].Eager)
            {
                pending.Add(AttemptAsync(probes[i], layer, evidence, null, null, stop.Token));
            }
            else
            {
                late.Add(probes[i]);
            }
        }

        Found? best = null;
        var grace = Task.Delay(late.Count > 0 ? LateProbesGrace : TimeSpan.Zero, options.Time, stop.Token);
        try
        {
            while (pending.Count > 0 || late.Count > 0)
            {
                if (late.Count > 0 && (grace.IsCompleted || pending.Count == 0))
                {
                    pending.AddRange(late.Select(p => AttemptAsync(p, layer, evidence, null, null, stop.Token)));
                    late.Clear();
                }

                var done = late.Count > 0
                    ? await Task.WhenAny([.. pending, grace]).ConfigureAwait(false)
                    : await Task.WhenAny(pending).ConfigureAwait(false);
                if (done == grace)
                {
                    continue;
                }

                var attempt = (Task<Attempt>)done;
                pending.Remove(attempt);
                if ((await attempt.ConfigureAwait(false)).Found is not { } found)
                {
                    continue;
                }

                if (found.Certain)
                {
                    return found.Fingerprint;
                }

                if (best is null || found.Order < best.Order)
                {
                    best = found;
                }
            }

            return best?.Fingerprint;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
    }

    private async Task<Attempt> AttemptAsync(ServiceProbe probe, TlsFacts? layer, Evidence evidence, TaskCompletionSource<ConnectOutcome>? connected,
        ProbeConnection? reuse, CancellationToken ct)
    {
        try
        {
            var (connection, outcome) = reuse is not null
                ? (reuse, ConnectOutcome.Connected)
                : await ProbeConnection.OpenAsync(gate, endpoint, probe.Tls || layer is not null, options, ct).ConfigureAwait(false);
            connected?.TrySetResult(outcome);
            if (connection is null)
            {
                return new Attempt(outcome, null);
            }

            if (probe.Tls)
            {
                return new Attempt(outcome, await IdentifyInsideAsync(connection, probe.Order, ct).ConfigureAwait(false));
            }

            await using (connection.ConfigureAwait(false))
            {
                if (!probe.IsBannerWait)
                {
                    await connection.SendAsync(probe.Payload(endpoint.Address.ToString(), options.UserAgent, options.Attribution), ct).ConfigureAwait(false);
                }

                var reply = await connection.ReadAsync(options.ReadTimeout, probe.ReadToEnd, text => _rules.Match(probe.Id, text) is not null, ct)
                    .ConfigureAwait(false);
                evidence.Record(probe.Order, reply);
                var text = RuleDatabase.Latin1(reply.Bytes.Span);
                if (_rules.Match(probe.Id, text) is not { } match)
                {
                    return new Attempt(outcome, null);
                }

                if (match.Rule.UpgradeToTls && layer is null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    if (await InsideTlsAsync(probe.Order, ct).ConfigureAwait(false) is { } upgraded)
                    {
                        return upgraded;
                    }
                }

                var tls = layer;
                if (layer is null && _rules.StartTls(match.Service) is { } dialogue)
                {
                    tls = await StartTlsAsync(dialogue, connection, text, ct).ConfigureAwait(false);
                }

                var fingerprint = new ServiceFingerprint
                {
                    Ip = endpoint.Address.ToString(),
                    Port = endpoint.Port,
                    Service = layer is null ? match.Service : _rules.TlsName(match.Service),
                    Product = match.Product,
                    Version = match.Version,
                    Cpe = match.Cpe,
                    Tls = tls,
                    Http = HttpResponseFacts.Parse(text),
                };
                return new Attempt(outcome, new Found(fingerprint, probe.Order, Certain: !match.Rule.Fallback));
            }
        }
        catch (OperationCanceledException)
        {
            // The race was decided by another probe, or the run stopped (RunAsync then throws on the run's token).
            connected?.TrySetResult(ConnectOutcome.Filtered);
            return new Attempt(ConnectOutcome.Filtered, null);
        }
        catch
        {
            connected?.TrySetResult(ConnectOutcome.Filtered);
            throw;
        }
    }

    // TLS was spoken (or a reply asked for it): the probes run again inside it, the first on the handshake's own
    // connection, and what they find is final.
    private async Task<Found> IdentifyInsideAsync(ProbeConnection handshake, int order, CancellationToken ct)
    {
        var facts = handshake.Tls!;
        var inner = new Evidence();
        var found = await IdentifyAsync(facts, inner, handshake, ct).ConfigureAwait(false) ?? Unidentified(inner, facts);
        return new Found(found, order, Certain: true);
    }

    private async Task<Attempt?> InsideTlsAsync(int order, CancellationToken ct)
    {
        var (connection, outcome) = await ProbeConnection.OpenAsync(gate, endpoint, tls: true, options, ct).ConfigureAwait(false);
        if (connection is null)
        {
            return null;
        }

        return new Attempt(outcome, await IdentifyInsideAsync(connection, order, ct).ConfigureAwait(false));
    }

    // STARTTLS, for the certificate's facts: on the connection that identified the service when the dialogue starts
    // by reading what was already read (the greeting), else on a fresh one. A server that does not offer it (or fails
    // it) simply has no TLS facts.
    private async Task<TlsFacts?> StartTlsAsync(StartTlsDialogue dialogue, ProbeConnection current, string alreadyRead, CancellationToken ct)
    {
        var steps = dialogue.Steps;
        var first = 0;
        while (first < steps.Count && steps[first].Send.Length == 0 && steps[first].Expect.IsMatch(alreadyRead))
        {
            first++;
        }

        if (first > 0)
        {
            return await FinishStartTlsAsync(current, steps, first, ct).ConfigureAwait(false);
        }

        var (fresh, _) = await ProbeConnection.OpenAsync(gate, endpoint, tls: false, options, ct).ConfigureAwait(false);
        if (fresh is null)
        {
            return null;
        }

        await using (fresh.ConfigureAwait(false))
        {
            return await FinishStartTlsAsync(fresh, steps, 0, ct).ConfigureAwait(false);
        }
    }

    private async Task<TlsFacts?> FinishStartTlsAsync(ProbeConnection connection, IReadOnlyList<(byte[] Send, System.Text.RegularExpressions.Regex Expect)> steps,
        int first, CancellationToken ct)
    {
        for (var i = first; i < steps.Count; i++)
        {
            var (send, expect) = steps[i];
            if (send.Length > 0)
            {
                await connection.SendAsync(send, ct).ConfigureAwait(false);
            }

            var reply = await connection.ReadAsync(options.ReadTimeout, toEnd: false, expect.IsMatch, ct).ConfigureAwait(false);
            if (!expect.IsMatch(RuleDatabase.Latin1(reply.Bytes.Span)))
            {
                return null;
            }
        }

        return await connection.UpgradeToTlsAsync(endpoint.Address.ToString(), options.ConnectTimeout, ct).ConfigureAwait(false);
    }

    private ServiceFingerprint NotOpen(ConnectOutcome outcome) => new()
    {
        Ip = endpoint.Address.ToString(),
        Port = endpoint.Port,
        Service = outcome == ConnectOutcome.Refused ? ServiceNames.Closed : ServiceNames.Filtered,
    };

    private ServiceFingerprint Unidentified(Evidence evidence, TlsFacts? layer)
    {
        var (banner, closedSilently) = evidence.Result();
        return new ServiceFingerprint
        {
            Ip = endpoint.Address.ToString(),
            Port = endpoint.Port,
            Service = layer is not null ? ServiceNames.Tls : banner is null && closedSilently ? ServiceNames.TcpWrapped : ServiceNames.Unknown,
            Banner = banner,
            Tls = layer,
        };
    }

    private sealed record Attempt(ConnectOutcome Outcome, Found? Found);

    /// <summary>A match; <see cref="Certain"/> ends the race (a specific rule matched, or TLS was spoken).</summary>
    private sealed record Found(ServiceFingerprint Fingerprint, int Order, bool Certain);

    /// <summary>What the probes of one layer saw without a match: the earliest probe's bytes, silent closes.</summary>
    private sealed class Evidence
    {
        private readonly Lock _lock = new();
        private byte[]? _bytes;
        private int _order = int.MaxValue;
        private bool _closedSilently;
        private bool _stayedSilent;

        public void Record(int order, ProbeReply reply)
        {
            lock (_lock)
            {
                if (reply.Bytes.Length > 0 && order < _order)
                {
                    _bytes = reply.Bytes[..Math.Min(reply.Bytes.Length, BannerText.MaxBytes)].ToArray();
                    _order = order;
                }

                _closedSilently |= reply.Bytes.Length == 0 && reply.Closed;
                _stayedSilent |= reply.Bytes.Length == 0 && !reply.Closed;
            }
        }

        /// <summary>The banner to report, and whether the service only ever closed without a word.</summary>
        public (string? Banner, bool ClosedSilently) Result()
        {
            lock (_lock)
            {
                return (_bytes is null ? null : BannerText.Escape(_bytes), _closedSilently && !_stayedSilent);
            }
        }
    }
}
