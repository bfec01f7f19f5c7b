using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Outpost.Appliance.Tests.Infrastructure;

/// <summary>
/// A real OpenLDAP server for directory sign-in tests: Debian's <c>slapd</c> with its own slapd.conf, database and
/// port on 127.0.0.1 in a temp directory, loaded with <c>ldapadd</c>. Killed and removed on dispose. A machine without
/// slapd fails the test loudly (scripts/deps.sh installs it).
/// </summary>
public sealed class Slapd : IDisposable
{
    public const string Suffix = "dc=outpost,dc=test";
    public const string RootDn = "cn=admin," + Suffix;
    public const string RootPassword = "slapd-root-password";

    private readonly TempDirectory _directory;
    private readonly Process _process;

    private Slapd(int port, Process process, TempDirectory directory)
    {
        Port = port;
        _process = process;
        _directory = directory;
    }

    public int Port { get; }

    public static async Task<Slapd> StartAsync(string ldif)
    {
        foreach (var tool in new[] { "/usr/sbin/slapd", "/usr/bin/ldapadd" })
        {
            Assert.True(File.Exists(tool), $"{tool} is missing: install slapd and ldap-utils (scripts/deps.sh does).");
        }

        var port = FreePort();
        var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "db"));
        var config = Path.Combine(directory.Path, "slapd.conf");
        await File.WriteAllTextAsync(config, $"""
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            include /etc/ldap/schema/nis.schema
            modulepath /usr/lib/ldap
            moduleload back_mdb
            pidfile {directory.Path}/slapd.pid
            database mdb
            maxsize 16777216
            suffix "{Suffix}"
            rootdn "{RootDn}"
            rootpw {RootPassword}
            directory {directory.Path}/db
            """);
        // -d 0: stay in the foreground (so the test owns the process), without debug output.
        var info = new ProcessStartInfo("/usr/sbin/slapd") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-d", "0", "-f", config, "-h", $"ldap://127.0.0.1:{port}/" })
        {
            info.ArgumentList.Add(arg);
        }

        var slapd = new Slapd(port, Process.Start(info)!, directory);
        try
        {
            await slapd.WaitListeningAsync();
            var add = await RunAsync("/usr/bin/ldapadd", ["-x", "-H", $"ldap://127.0.0.1:{port}/", "-D", RootDn, "-w", RootPassword], ldif);
            Assert.True(add.ExitCode == 0, $"ldapadd failed ({add.ExitCode}): {add.Output}");
            return slapd;
        }
        catch
        {
            slapd.Dispose();
            throw;
        }
    }

    /// <summary>Stops the server (a test of an unreachable directory).</summary>
    public void Stop()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        _directory.Dispose();
    }

    // The one wait allowed for a process start: poll the port with a deadline.
    private async Task WaitListeningAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"slapd exited with {_process.ExitCode}: {await _process.StandardError.ReadToEndAsync()}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, string input)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
