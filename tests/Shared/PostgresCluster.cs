using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Outpost.Testing;

/// <summary>
/// A throw-away PostgreSQL cluster for tests and benchmarks: Debian's <c>postgresql</c> binaries (initdb, pg_ctl)
/// start a fresh cluster in a temp directory, listening on 127.0.0.1 on a free port (and a Unix socket inside the
/// directory, so nothing under /var/run is needed). <see cref="DisposeAsync"/> stops it and deletes the directory.
/// initdb refuses to run as root, so as root the cluster runs as the <c>postgres</c> user (<c>runuser</c>) in a
/// directory it owns. Self-contained on purpose (no test framework): test projects and the benchmark link this file.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    /// <summary>Where Debian installs the server binaries; the newest version present is used.</summary>
    public const string DebianBinaries = "/usr/lib/postgresql";

    private readonly IReadOnlyDictionary<string, string> _settings;
    private string? _directory;
    private string? _binaries;
    private string? _serverOptions;
    private bool _started;

    /// <param name="settings">Extra server settings (<c>-c name=value</c>), e.g. <c>max_connections</c>.</param>
    public PostgresCluster(IReadOnlyDictionary<string, string>? settings = null) =>
        _settings = settings ?? new Dictionary<string, string>();

    public int Port { get; private set; }

    /// <summary>The connection string of the <c>postgres</c> database (superuser, trust auth on loopback).</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    public string ConnectionStringFor(string database) =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={database};Timeout=10;Command Timeout=60";

    /// <summary>Creates and starts the cluster; returns the connection string of its <c>postgres</c> database.</summary>
    public async Task<string> StartAsync(CancellationToken ct = default)
    {
        _binaries = FindBinaries();
        var asRoot = Environment.UserName == "root";
        _directory = Path.Combine(Path.GetTempPath(), "outpost-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory);
        var data = Path.Combine(_directory, "data");
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", _directory], asPostgres: false, ct);
        }

        await RunAsync(Path.Combine(_binaries, "initdb"),
            ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions"], asRoot, ct);
        Port = FreePort();
        var options = new List<string>
        {
            "-c listen_addresses=127.0.0.1",
            "-c port=" + Port.ToString(CultureInfo.InvariantCulture),
            "-c unix_socket_directories=" + _directory,
            "-c max_connections=300",
        };
        foreach (var (name, value) in _settings)
        {
            options.Add($"-c {name}={value}");
        }

        _serverOptions = string.Join(' ', options);
        await StartServerAsync(ct);
        return ConnectionString;
    }

    /// <summary>Stops the server (fast shutdown: connections are cut) and keeps its data, to test a database outage.</summary>
    public async Task StopServerAsync(CancellationToken ct = default)
    {
        await RunAsync(Path.Combine(_binaries!, "pg_ctl"), ["-D", Path.Combine(_directory!, "data"), "-m", "fast", "-w", "stop"],
            Environment.UserName == "root", ct);
        _started = false;
    }

    /// <summary>Starts the server again on the same port and data (after <see cref="StopServerAsync"/>).</summary>
    public async Task StartServerAsync(CancellationToken ct = default)
    {
        await RunAsync(Path.Combine(_binaries!, "pg_ctl"),
            ["-D", Path.Combine(_directory!, "data"), "-l", Path.Combine(_directory!, "server.log"), "-w", "-t", "60", "-o", _serverOptions!, "start"],
            Environment.UserName == "root", ct);
        _started = true;
    }

    /// <summary>The server's log so far, for a failing test's message.</summary>
    public string ServerLog()
    {
        var path = _directory is null ? null : Path.Combine(_directory, "server.log");
        return path is not null && File.Exists(path) ? File.ReadAllText(path) : "";
    }

    public async ValueTask DisposeAsync()
    {
        if (_directory is null)
        {
            return;
        }

        try
        {
            if (_started)
            {
                await RunAsync(Path.Combine(_binaries!, "pg_ctl"), ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"],
                    Environment.UserName == "root", CancellationToken.None);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Removed by the next /tmp cleanup.
            }

            _directory = null;
        }
    }

    private static string FindBinaries()
    {
        if (Directory.Exists(DebianBinaries))
        {
            var newest = Directory.GetDirectories(DebianBinaries)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        throw new InvalidOperationException(
            $"PostgreSQL server binaries (initdb, pg_ctl) not found under {DebianBinaries}/<version>/bin: install Debian's 'postgresql' package " +
            "to run the PostgreSQL store tests.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments, bool asPostgres, CancellationToken ct)
    {
        var info = asPostgres ? new ProcessStartInfo("runuser") : new ProcessStartInfo(file);
        if (asPostgres)
        {
            foreach (var prefix in new[] { "-u", "postgres", "--", file })
            {
                info.ArgumentList.Add(prefix);
            }
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        // The server inherits no test-runner variables that would change its behaviour.
        info.Environment.Remove("PGDATA");
        info.Environment.Remove("PGPORT");
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(file)} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}:\n{await output}\n{await error}");
        }
    }
}
