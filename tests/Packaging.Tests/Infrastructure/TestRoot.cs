using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Outpost.Packaging.Tests.Infrastructure;

/// <summary>
/// A throwaway Debian bookworm root (mmdebstrap) to install packages into, and the ways to run things inside it as an
/// admin would: a root shell (<c>ExecAsync</c>) and the daemon under the unit's identity (<see cref="StartDaemon"/>).
/// There is no systemd in a chroot, so the tests do what the unit does by hand: User=outpost and the ambient
/// capabilities via setpriv. Each command runs in a private mount namespace with its own /proc, so nothing stays
/// mounted on the host.
/// </summary>
public sealed class TestRoot : IAsyncDisposable
{
    public const string Mirror = "http://deb.debian.org/debian";
    private const string Suite = "bookworm";
    private const string Path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private TestRoot(string directory, string createOutput)
    {
        Directory = directory;
        CreateOutput = createOutput;
    }

    public string Directory { get; }

    /// <summary>What mmdebstrap printed, maintainer scripts included.</summary>
    public string CreateOutput { get; }

    /// <summary>
    /// A minimal bookworm with <paramref name="include"/> installed by apt: package names, or paths of local .deb files,
    /// which mmdebstrap's file-mirror-automount hook makes visible inside the chroot so apt resolves their
    /// dependencies (libpcap0.8, libssl3) from the mirror. Downloaded .debs are kept in artifacts/packaging-cache/
    /// so later runs fetch only the indexes.
    /// </summary>
    public static async Task<TestRoot> CreateAsync(string cacheName, IEnumerable<string> include, string? tarball = null)
    {
        Shell.Require("mmdebstrap", "chroot", "unshare", "setpriv");
        var cache = System.IO.Path.Combine(Repository.Cache, cacheName);
        System.IO.Directory.CreateDirectory(cache);
        var directory = System.IO.Directory.CreateTempSubdirectory("pkgtest-root-").FullName;
        string[] arguments =
        [
            // --verbose: dpkg and apt output, maintainer scripts included, instead of progress bars.
            "--variant=minbase", "--mode=root", "--verbose",
            // One option per package: a comma-separated list that starts with a path is taken as one path.
            .. include.Select(i => "--include=" + i),
            "--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount",
            // Keep the essential packages' .debs too, so the cache covers the whole root.
            "--skip=essential/unlink",
            "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives",
            $"--setup-hook=sync-in {cache} /var/cache/apt/archives",
            $"--customize-hook=sync-out /var/cache/apt/archives {cache}",
            Suite, tarball ?? directory, $"deb {Mirror} {Suite} main",
        ];
        var result = await Shell.RunAsync("mmdebstrap", arguments, TimeSpan.FromMinutes(4));
        var root = new TestRoot(directory, result.Output);
        if (result.ExitCode != 0)
        {
            await root.DisposeAsync();
            result.EnsureSuccess();
        }

        // The hook's mount points for local .debs stay behind as empty files: remove them and their empty folders.
        foreach (var local in include.Where(i => i.StartsWith('/')))
        {
            var stub = directory + local;
            if (File.Exists(stub) && new FileInfo(stub).Length == 0)
            {
                File.Delete(stub);
                for (var dir = System.IO.Path.GetDirectoryName(stub); dir is not null && dir.Length > directory.Length
                    && !System.IO.Directory.EnumerateFileSystemEntries(dir).Any(); dir = System.IO.Path.GetDirectoryName(dir))
                {
                    System.IO.Directory.Delete(dir);
                }
            }
        }

        // Our own packages never belong in the download cache.
        foreach (var own in System.IO.Directory.EnumerateFiles(cache, "outpost*"))
        {
            File.Delete(own);
        }

        return root;
    }

    /// <summary>A root unpacked from a tarball that <see cref="CreateAsync"/> made (and cached) earlier.</summary>
    public static async Task<TestRoot> FromTarballAsync(string cacheName, string tarballName, IEnumerable<string> include)
    {
        var tarball = System.IO.Path.Combine(Repository.Cache, tarballName);
        if (!File.Exists(tarball))
        {
            var partial = tarball + ".partial.tar";
            await using (var maker = await CreateAsync(cacheName, include, partial))
            {
            }

            File.Move(partial, tarball, overwrite: true);
        }

        var directory = System.IO.Directory.CreateTempSubdirectory("pkgtest-root-").FullName;
        var root = new TestRoot(directory, "");
        var unpack = await Shell.RunAsync("tar", ["-xf", tarball, "-C", directory], TimeSpan.FromMinutes(2));
        if (unpack.ExitCode != 0)
        {
            await root.DisposeAsync();
            unpack.EnsureSuccess();
        }

        return root;
    }

    public string PathOf(string inside) => Directory + inside;

    /// <summary>Runs a command inside the root as root, with a clean environment.</summary>
    public Task<CommandResult> ExecAsync(params string[] command) => ExecAsync(TimeSpan.FromMinutes(2), command);

    public Task<CommandResult> ExecAsync(TimeSpan timeout, params string[] command) =>
        Shell.RunAsync("unshare", [.. Inside(command)], timeout);

    /// <summary>Runs a command as the outpost user with the ambient capabilities outpost.service grants.</summary>
    public Task<CommandResult> ExecAsServiceAsync(params string[] command) =>
        Shell.RunAsync("unshare", [.. Inside([.. AsService, .. command])], TimeSpan.FromMinutes(2));

    /// <summary>Starts <c>outpost</c> as the unit would (User=outpost, ambient CAP_NET_RAW CAP_NET_BIND_SERVICE) on a loopback HTTPS port.</summary>
    public Daemon StartDaemon()
    {
        var port = FreePort();
        var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in Inside([.. AsService, "/usr/bin/outpost", "--urls", $"https://127.0.0.1:{port}"]))
        {
            start.ArgumentList.Add(argument);
        }

        return new Daemon(Process.Start(start)!, new Uri($"https://127.0.0.1:{port}/"));
    }

    public async ValueTask DisposeAsync()
    {
        // Never delete through a mount point (a leftover bind mount of /dev would take the host's /dev with it).
        var mounts = await File.ReadAllLinesAsync("/proc/self/mounts");
        var stillMounted = mounts.Select(line => line.Split(' ')[1]).Where(m => m.StartsWith(Directory + "/", StringComparison.Ordinal)).ToList();
        Assert.True(stillMounted.Count == 0, $"still mounted under the test root, not deleting it: {string.Join(", ", stillMounted)}");
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static readonly string[] AsService =
    [
        "env", "HOME=/var/lib/outpost", "USER=outpost", "setpriv", "--reuid=outpost", "--regid=outpost", "--init-groups",
        "--inh-caps=+net_raw,+net_bind_service", "--ambient-caps=+net_raw,+net_bind_service",
    ];

    private IEnumerable<string> Inside(IEnumerable<string> command) =>
        ["--mount", $"--mount-proc={Directory}/proc", "chroot", Directory, "env", "-i", Path, "HOME=/root", "LANG=C.UTF-8", .. command];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The daemon running inside a test root; stopped with SIGTERM as systemd stops it.</summary>
public sealed class Daemon(Process process, Uri baseAddress) : IAsyncDisposable
{
    private readonly Task<string> _output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync())
        .ContinueWith(t => string.Join('\n', t.Result), TaskScheduler.Default);

    public Uri BaseAddress { get; } = baseAddress;

    public int ProcessId => process.Id;

    /// <summary>HTTPS with the daemon's self-signed certificate, as a first-time admin's browser sees it.</summary>
    public HttpClient Client(string? adminToken = null)
    {
        var client = new HttpClient(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        })
        { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
        if (adminToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", adminToken);
        }

        return client;
    }

    /// <summary>Waits for <c>/healthz</c> to answer 200, failing with the daemon's output if it exits or never answers.</summary>
    public async Task WaitHealthyAsync()
    {
        using var client = Client();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, $"the daemon exited with {(process.HasExited ? process.ExitCode : 0)}:\n{await OutputAsync()}");
            try
            {
                using var response = await client.GetAsync(new Uri("healthz", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Still starting.
            }

            await Task.Delay(250);
        }

        Assert.Fail($"/healthz did not answer 200 within 90 s");
    }

    public async Task<string> OutputAsync() => await Task.WhenAny(_output, Task.Delay(2000)) == _output ? await _output : "(still running)";

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await Shell.RunAsync("kill", "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        process.Dispose();
    }
}
