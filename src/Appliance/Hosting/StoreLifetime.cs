using Microsoft.Extensions.Options;
using Outpost.Store;
using Outpost.Store.Records;

namespace Outpost.Appliance.Hosting;

/// <summary>Opens a store backend (recovering it from disk) with its records database; the seam where the backend is chosen.</summary>
public delegate ValueTask<OpenedStores> StoreOpener(OutpostOptions options, ILoggerFactory loggerFactory, CancellationToken ct);

/// <summary>
/// What the daemon keeps its state in: the job store (the hot lifecycle) and the records database (findings and other
/// queryable records, docs/records.md), opened together because each backend has both.
/// </summary>
public sealed record OpenedStores(IOutpostStore Store, RecordsDatabase Records) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Records.DisposeAsync();
        await Store.DisposeAsync();
    }
}

/// <summary>
/// Opens the store at startup. It is the first hosted service, so the store is recovered before the loops start and
/// before Kestrel listens. The DI container owns the opened store (it is the <see cref="IOutpostStore"/> singleton,
/// resolved here at once so the container always has it to dispose; the same for the <see cref="RecordsDatabase"/>): the container disposes singletons in reverse
/// order of creation when the host is disposed, which is after Kestrel has drained every request, so every request
/// that got in has had its durable acknowledgment before the store closes.
/// </summary>
public sealed partial class StoreLifetime(StoreOpener open, IOptions<OutpostOptions> options, ILoggerFactory loggerFactory, IServiceProvider services)
    : IHostedService
{
    private readonly ILoggerFactory _loggerFactory = loggerFactory;
    private readonly ILogger _logger = loggerFactory.CreateLogger<StoreLifetime>();
    private OpenedStores? _opened;
    private volatile bool _ready;

    public IOutpostStore Store => _opened?.Store ?? throw new InvalidOperationException("The store is not open yet.");

    public RecordsDatabase Records => _opened?.Records ?? throw new InvalidOperationException("The records database is not open yet.");

    /// <summary>True between recovery and the start of shutdown: what <c>/readyz</c> reports.</summary>
    public bool Ready => _ready;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        _opened = await open(options.Value, _loggerFactory, cancellationToken);
        services.GetRequiredService<IOutpostStore>();
        services.GetRequiredService<RecordsDatabase>();
        _ready = true;
        var elapsed = TimeProvider.System.GetElapsedTime(started);
        LogOpened(_logger, options.Value.StoreDirectory, elapsed.TotalMilliseconds);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Marks the daemon not ready as soon as shutdown begins, so probes stop sending work while it drains.</summary>
    public void BeginShutdown() => _ready = false;

    [LoggerMessage(Level = LogLevel.Information, Message = "Store opened at {Directory} in {Milliseconds:0} ms")]
    private static partial void LogOpened(ILogger logger, string directory, double milliseconds);
}
