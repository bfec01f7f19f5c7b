using Microsoft.Extensions.Configuration.Memory;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// How the daemon's settings are layered, lowest first: the built-in defaults, the host's sources (appsettings.json
/// beside the binary, its environment file, environment variables), the config file, then the command line. One home,
/// so <c>selftest</c>, <c>store verify</c>, <c>backup</c> and <c>restore</c> read exactly the settings the daemon uses.
/// </summary>
public static class OutpostConfiguration
{
    public const string InstalledConfigFile = "/etc/outpost/outpost.json";

    private static readonly Dictionary<string, string?> Defaults = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
        // Hosting opens a logging scope and starts an Activity for every request while this category logs anything;
        // it only ever logs requests (below Warning) and errors that escape the pipeline, which ExceptionToErrorMiddleware
        // catches and logs itself. Off, a scanner request costs less CPU (docs/performance.md).
        ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "None",
    };

    /// <summary>A host builder carrying the daemon's layered configuration (nothing is started).</summary>
    public static WebApplicationBuilder CreateBuilder(StartupArguments arguments)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // The daemon runs from anywhere (systemd, scripts/run.sh): its files are beside its binary, not in the cwd.
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        // Built-in defaults, below every other source: per-request framework logs would cost the hot path dearly.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Defaults });
        builder.Configuration.AddJsonFile(arguments.ConfigFile is { } file ? Path.GetFullPath(file) : InstalledConfigFile,
            optional: arguments.ConfigFile is null, reloadOnChange: false);
        var overrides = new Dictionary<string, string?>();
        if (arguments.DataDirectory is { } dataDirectory)
        {
            overrides[$"{OutpostOptions.Section}:{nameof(OutpostOptions.DataDirectory)}"] = Path.GetFullPath(dataDirectory);
        }

        if (arguments.Urls is { } urls)
        {
            overrides[$"{OutpostOptions.Section}:{nameof(OutpostOptions.Urls)}"] = urls;
        }

        builder.Configuration.AddInMemoryCollection(overrides);
        return builder;
    }

    /// <summary>The <c>Outpost</c> section of a layered configuration.</summary>
    public static OutpostOptions Options(IConfiguration configuration) =>
        configuration.GetSection(OutpostOptions.Section).Get<OutpostOptions>() ?? new OutpostOptions();

    /// <summary>The daemon's settings for the commands that do not start it.</summary>
    public static OutpostOptions Load(StartupArguments arguments) => Options(CreateBuilder(arguments).Configuration);
}
