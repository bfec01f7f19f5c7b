using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Accounts;
using Outpost.Appliance.Admin;
using Outpost.Appliance.Alarms;
using Outpost.Appliance.Assets;
using Outpost.Appliance.Audit;
using Outpost.Appliance.BuiltInScanner;
using Outpost.Appliance.Capabilities;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.Notifications;
using Outpost.Appliance.Operations;
using Outpost.Appliance.ScannerProtocol;
using Outpost.Appliance.Scheduling;
using Outpost.Appliance.Vulnerabilities;
using Outpost.Appliance.Web;
using Outpost.Probe.Systemd;
using Outpost.Store;
using Outpost.Store.Records;
using Outpost.Store.Records.Accounts;
using Outpost.Store.Records.Audit;
using Outpost.Store.Records.Capabilities;
using Outpost.Store.Records.Findings;
using Outpost.Store.Records.Vulnerabilities;

namespace Outpost.Appliance.Hosting;

/// <summary>What the command line can set; null means the config file's value or the built-in default.</summary>
public sealed record StartupArguments(string? DataDirectory, string? Urls, string? ConfigFile);

/// <summary>
/// Composition of the daemon: configuration, services, middleware and the HTTP surfaces. Only wiring lives here;
/// each surface and service is in its folder. Tests build the same app (with their own clock) and run it on Kestrel.
/// </summary>
public static partial class OutpostApp
{
    public static async Task<int> RunAsync(StartupArguments arguments, StoreOpener openStore)
    {
        WebApplication app;
        try
        {
            RawSocketPrivilege.DropUnlessScanning(OutpostConfiguration.Load(arguments));
            app = Build(arguments, openStore);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or FormatException or InvalidOperationException)
        {
            // No logging yet (the configuration is what failed): say it plainly on stderr, as systemd records it.
            await Console.Error.WriteLineAsync($"outpost: cannot start: {ex.Message}");
            return 1;
        }

        // Resolved up front: when the run fails, the host has already disposed its services.
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OutpostApp));
        try
        {
            await app.RunAsync();
        }
        catch (Exception ex) when (StoreDamage(ex) is { } damage)
        {
            // Fail closed (docs/store-operations.md): a store that cannot be recovered completely is never opened.
            await Console.Error.WriteLineAsync($"outpost: cannot start: {damage.Message}");
            return 2;
        }
        catch (Exception ex)
        {
            LogFatal(logger, ex);
            return 1;
        }

        return Environment.ExitCode;
    }

    /// <summary>Builds the daemon; <paramref name="customize"/> lets tests swap the clock or add settings before the build.</summary>
    public static WebApplication Build(StartupArguments arguments, StoreOpener openStore, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = OutpostConfiguration.CreateBuilder(arguments);
        var listen = OutpostConfiguration.Options(builder.Configuration);
        builder.WebHost.UseUrls([.. listen.UrlList]);
        AddOutpost(builder.Services, builder.Configuration, openStore);
        // Nothing here protects data with it, but the framework keeps a key ring: keep it with the appliance's state.
        builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(listen.DataDirectory, "keys")));
        customize?.Invoke(builder);

        var app = builder.Build();
        UseOutpost(app);
        return app;
    }

    private static void AddOutpost(IServiceCollection services, ConfigurationManager configuration, StoreOpener openStore)
    {
        services.AddOptions<OutpostOptions>()
            .Bind(configuration.GetSection(OutpostOptions.Section))
            .Validate(o => o.Scanners.HeartbeatTimeout > TimeSpan.Zero && o.Scanners.ReassignTimeout > TimeSpan.Zero
                && o.Scanners.SweepInterval > TimeSpan.Zero && o.Scanners.MaxAttempts > 0 && o.SessionLifetime > TimeSpan.Zero,
                "Outpost:Scanners timeouts, MaxAttempts and SessionLifetime must be positive.")
            .ValidateOnStart();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        services.TryAddSingleton(TimeProvider.System);

        // The store first: hosted services start in registration order and the store must be open before the rest.
        services.AddSingleton(openStore);
        services.AddSingleton<StoreLifetime>();
        services.AddHostedService(sp => sp.GetRequiredService<StoreLifetime>());
        // Before the loops: it tells each loop who leads (the node itself with the embedded store).
        services.AddSingleton<Leadership>();
        services.AddHostedService(sp => sp.GetRequiredService<Leadership>());
        services.AddSingleton(sp => sp.GetRequiredService<StoreLifetime>().Store);
        services.AddSingleton(sp => sp.GetRequiredService<StoreLifetime>().Records);
        services.AddSingleton<IBackupParticipant>(sp => sp.GetRequiredService<RecordsDatabase>());
        services.AddSingleton(sp => new FindingsTable(sp.GetRequiredService<RecordsDatabase>()));
        services.AddSingleton<FindingsIntake>();
        services.AddSingleton<ScannerSupervisor>();
        services.AddSingleton<LeaseReconciler>();
        services.AddSingleton<CapabilityResults>();
        services.AddSingleton<CapabilityUploads>();
        services.AddSingleton<VulnerabilityRecords>();
        services.AddSingleton<VulnerabilityLedger>();
        services.AddSingleton<Notifier>();
        services.AddSingleton<IVulnerabilitiesOpenedListener>(sp => sp.GetRequiredService<Notifier>());
        services.AddSingleton<IScanProcessedListener>(sp => sp.GetRequiredService<Notifier>());
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<NotificationDelivery>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDelivery>());
        // The catalogue's checks that need no network run when a scan is processed (docs/vulnscan.md).
        services.AddSingleton<IScanProcessedListener, FingerprintFactChecks>();
        services.AddHostedService(sp => sp.GetRequiredService<ScannerSupervisor>());
        services.AddSingleton<DispatchGate>();
        services.AddSingleton<ScanScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<ScanScheduler>());
        services.AddSingleton<Retention>();
        services.AddHostedService(sp => sp.GetRequiredService<Retention>());
        services.AddSingleton<IScanProcessedListener, FollowUpScheduler>();
        services.AddSingleton<InventoryProcessor>();
        services.AddHostedService(sp => sp.GetRequiredService<InventoryProcessor>());
        services.AddSingleton<ReverseDnsLookups>();
        services.AddHostedService(sp => sp.GetRequiredService<ReverseDnsLookups>());
        services.AddBuiltInScanner();
        services.AddOptions<OutpostOptions>()
            .Validate(o => o.Scheduling.CycleInterval > TimeSpan.Zero && o.Retention.MaxAge > TimeSpan.Zero && o.Retention.Interval > TimeSpan.Zero
                && o.Audit.MaxAge > TimeSpan.Zero,
                "Outpost:Scheduling:CycleInterval, Outpost:Retention MaxAge and Interval, and Outpost:Audit:MaxAge must be positive.")
            .Validate(o => o.Inventory.ReverseDns is { Interval.Ticks: > 0, Timeout.Ticks: > 0, Concurrency: > 0, RefreshAfter.Ticks: > 0 },
                "Outpost:Inventory:ReverseDns Interval, Timeout, Concurrency and RefreshAfter must be positive.");
        services.AddOutpostSystemd();
        services.AddHostedService<SystemdService>();

        services.AddSingleton(sp => AdminToken.Load(configuration[AdminToken.EnvironmentVariable],
            sp.GetRequiredService<IOptions<OutpostOptions>>().Value.DataDirectory, sp.GetRequiredService<ILogger<AdminToken>>()));
        services.AddSingleton<SessionStore>();
        services.AddSingleton<LoginThrottle>();
        services.AddKeyedSingleton<LoginThrottle>(LoginThrottle.Bearer);
        services.AddSingleton<AccountRepository>();
        services.AddSingleton<AuditRepository>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<TotpCodes>();
        services.AddSingleton<DirectorySignIn>();
        services.AddSingleton<IpBinding>();
        services.AddSingleton<ApplianceMetrics>();
        services.AddSingleton<PrometheusExporter>();

        services.AddSingleton<ServingCertificate>();
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, KestrelSetup>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, OutpostJsonContext.Default);
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.RespectNullableAnnotations = true;
        });
        // Binding failures throw, so ErrorHandling can answer them in the API's error shape with the binder's reason.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, UserAuthentication>(AuthPolicies.UserScheme, null);
        // Each role includes the ones below it (docs/users-and-audit.md).
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.Viewer, p => p.AddAuthenticationSchemes(AuthPolicies.UserScheme).RequireAuthenticatedUser()
                .RequireRole(UserRoles.Viewer, UserRoles.Operator, UserRoles.Admin))
            .AddPolicy(AuthPolicies.Operator, p => p.AddAuthenticationSchemes(AuthPolicies.UserScheme).RequireAuthenticatedUser()
                .RequireRole(UserRoles.Operator, UserRoles.Admin))
            .AddPolicy(AuthPolicies.Admin, p => p.AddAuthenticationSchemes(AuthPolicies.UserScheme).RequireAuthenticatedUser()
                .RequireRole(UserRoles.Admin));
        services.AddOpenApi();
    }

    private static void UseOutpost(WebApplication app)
    {
        // Resolve the admin token now, so a generated one is written and its path logged at startup, not at first login.
        app.Services.GetRequiredService<AdminToken>();
        // Listen to the meters before the first request, so no measurement is missed.
        app.Services.GetRequiredService<PrometheusExporter>();
        app.Lifetime.ApplicationStopping.Register(app.Services.GetRequiredService<StoreLifetime>().BeginShutdown);

        app.UseMiddleware<SecurityHeaders>();
        app.UseApiErrors();
        app.UseMiddleware<StoreUnavailableMiddleware>();
        app.UseRouting();
        app.UseMiddleware<ScannerKeyAuthentication>();
        // After routing (the entry names the route pattern), before authentication (refused attempts are entries too).
        app.UseMiddleware<AuditTrail>();
        // After routing, so requests that matched an endpoint skip the file system entirely.
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOperationsApi();
        app.MapScannerApi();
        app.MapSessionApi();
        app.MapAdminApi();
        app.MapStoreBackupApi();
        // Behind sign-in: the document maps every route and its shapes, which is a map for an attacker too.
        app.MapOpenApi().RequireAuthorization(AuthPolicies.Viewer);
    }

    private static StoreDamagedException? StoreDamage(Exception ex) => ex switch
    {
        StoreDamagedException damaged => damaged,
        AggregateException aggregate => aggregate.InnerExceptions.Select(StoreDamage).FirstOrDefault(d => d is not null),
        _ => ex.InnerException is { } inner ? StoreDamage(inner) : null,
    };

    [LoggerMessage(Level = LogLevel.Critical, Message = "The daemon failed")]
    private static partial void LogFatal(ILogger logger, Exception exception);
}
