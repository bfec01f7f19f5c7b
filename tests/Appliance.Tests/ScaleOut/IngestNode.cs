using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Store;

namespace Outpost.Appliance.Tests.ScaleOut;

/// <summary>
/// One ingest node in-process: the daemon's own composition with <c>Outpost:Store:Kind = postgres</c>, Kestrel on a
/// free loopback port, its own data directory (TLS, keys) and the shared database. The supervisor's timer is set to a
/// day, as in the other daemon tests.
/// </summary>
public sealed class IngestNode : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private bool _stopped;

    private IngestNode(WebApplication app, TempDirectory directory)
    {
        App = app;
        _directory = directory;
        Api = new Api(new Uri(app.Urls.First()));
    }

    public WebApplication App { get; }

    public Api Api { get; }

    public Leadership Leadership => App.Services.GetRequiredService<Leadership>();

    public IOutpostStore Store => App.Services.GetRequiredService<IOutpostStore>();

    public static async Task<IngestNode> StartAsync(string connectionString)
    {
        var directory = new TempDirectory();
        var config = Path.Combine(directory.Path, "outpost.json");
        await File.WriteAllTextAsync(config, Config(connectionString));
        var app = OutpostApp.Build(new StartupArguments(Path.Combine(directory.Path, "data"), "http://127.0.0.1:0", config),
            FasterStoreOpener.OpenAsync, builder => builder.Configuration[AdminToken.EnvironmentVariable] = Daemon.AdminToken);
        await app.StartAsync();
        return new IngestNode(app, directory);
    }

    /// <summary>The config of a node on the shared store.</summary>
    public static string Config(string connectionString) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["Outpost"] = new Dictionary<string, object>
        {
            ["Store"] = new Dictionary<string, string> { ["Kind"] = "postgres", ["ConnectionString"] = connectionString },
            ["Scanners"] = new Dictionary<string, string> { ["SweepInterval"] = "1.00:00:00" },
            ["BuiltInScanner"] = new Dictionary<string, string> { ["Enabled"] = "false" },
        },
        ["Logging"] = new Dictionary<string, object> { ["LogLevel"] = new Dictionary<string, string> { ["Default"] = "Warning" } },
    });

    /// <summary>Stops the node cleanly (its leadership connection closes, so the lock is free at once).</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        Api.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _directory.Dispose();
    }
}
