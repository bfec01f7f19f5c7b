using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Outpost.Probe.Capabilities.Fingerprint;

/// <summary>
/// Identifies the services on TCP ports: connects to each endpoint, lets the service speak first or sends the rule
/// database's probes (the port's hinted ones first), looks inside TLS, and matches replies against the rules
/// (docs/fingerprint.md). Ordinary sockets only: no raw packet access is needed.
/// </summary>
public sealed class ServiceFingerprinter
{
    /// <summary>
    /// Fingerprints every endpoint once. Results stream out in completion order, one per endpoint; closed and
    /// filtered ports come out too (<see cref="ServiceFingerprint.IsOpen"/> is false), so a caller can tell
    /// "nothing there" from "not asked". Rate and connection limits of <paramref name="options"/> hold for the
    /// whole run.
    /// </summary>
    public static async IAsyncEnumerable<ServiceFingerprint> FingerprintAsync(IReadOnlyList<(IPAddress Address, int Port)> endpoints,
        FingerprintOptions options, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        var gate = new ConnectionGate(options);
        var results = Channel.CreateUnbounded<ServiceFingerprint>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var work = Parallel.ForEachAsync(endpoints, new ParallelOptions { MaxDegreeOfParallelism = options.MaxConcurrentEndpoints, CancellationToken = stop.Token },
            async (endpoint, token) =>
            {
                var session = new EndpointSession(new IPEndPoint(endpoint.Address, endpoint.Port), options, gate);
                results.Writer.TryWrite(await session.RunAsync(token).ConfigureAwait(false));
            });
        _ = work.ContinueWith(t => results.Writer.TryComplete(t.Exception?.GetBaseException()), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        try
        {
            await foreach (var fingerprint in results.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return fingerprint;
            }

            await work.ConfigureAwait(false);
        }
        finally
        {
            // A consumer that stops early stops the probes too, and nothing is left running behind it.
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await work.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Cancelled by the line above or by the caller, who sees it on its own token.
            }
        }
    }
}
