using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Outpost.Appliance.Hosting;

namespace Outpost.Appliance.Tests.Infrastructure;

/// <summary>
/// The real daemon in-process: the same composition as <c>outpost</c>, the real FASTER store on a temp directory,
/// Kestrel on a free loopback port, and a manual wall clock. Every test builds its own.
/// </summary>
public sealed class Daemon : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-3f9c2a7e51d84b60";

    private TempDirectory? _directory;
    private bool _stopped;
    private IReadOnlyDictionary<string, string?>? _settings;

    private Daemon(WebApplication app, string dataDirectory, ManualClock clock, TempDirectory directory)
    {
        App = app;
        DataDirectory = dataDirectory;
        Clock = clock;
        _directory = directory;
        BaseAddress = new Uri(app.Urls.First());
        Api = new Api(BaseAddress);
    }

    public WebApplication App { get; }

    public string DataDirectory { get; }

    public ManualClock Clock { get; }

    public Uri BaseAddress { get; }

    public Api Api { get; }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <param name="settings">Configuration values over the test config (<c>Outpost:Findings:MaxPerJob</c> …).</param>
    public static Task<Daemon> StartAsync(IReadOnlyDictionary<string, string?>? settings = null) => StartAsync(new TempDirectory(), new ManualClock(), settings);

    /// <summary>Stops this daemon cleanly and starts a new one on the same data directory and clock; the new one owns the directory.</summary>
    public async Task<Daemon> RestartAsync()
    {
        var directory = _directory!;
        _directory = null;
        await StopAsync();
        return await StartAsync(directory, Clock, _settings);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _directory?.Dispose();
    }

    private static async Task<Daemon> StartAsync(TempDirectory directory, ManualClock clock, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var config = directory.WriteTestConfig();
        var app = OutpostApp.Build(new StartupArguments(Path.Combine(directory.Path, "data"), "http://127.0.0.1:0", config),
            FasterStoreOpener.OpenAsync, builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(clock);
                builder.Configuration[Hosting.AdminToken.EnvironmentVariable] = AdminToken;
                foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
                {
                    builder.Configuration[name] = value;
                }
            });
        await app.StartAsync();
        return new Daemon(app, Path.Combine(directory.Path, "data"), clock, directory) { _settings = settings };
    }

    private async Task StopAsync()
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
}
