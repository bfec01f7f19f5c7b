// `outpost selftest`: what an admin runs after installing, or when the daemon will not come up. Each check prints one
// line in plain words: what was checked, and when it failed, what is wrong and what to do about it. The exit code is
// non-zero when any check failed, so the packaging tests and scripts can rely on it.
//
// The store check must never harm a running daemon. The embedded store takes no lock of its own, so two processes
// opening one store would both write to its log; and a self-test run as root that opened the real store could leave
// root-owned files behind that the daemon (User=outpost) can then no longer write. So the real store is never opened:
// - when a daemon is running from this installation, only the directory and its files are checked (present, readable,
//   owned by the data directory's owner), since copying files that are being written gives a torn copy;
// - otherwise the store is copied into a temporary directory and the copy is opened and recovered, which proves the
//   files on disk recover, and the copy is deleted afterwards. A store too large for the free temporary space is
//   checked like a running one, and the line says so.

using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Records;

namespace Outpost.Appliance.Hosting;

/// <summary>The checks behind <c>outpost selftest</c>: libpcap, capabilities, the data directory and the store.</summary>
public static partial class SelfTest
{
    private const int CapNetBindService = 10;

    /// <summary>One check's outcome: a failed one says what is wrong and what to do about it.</summary>
    public sealed record Check(string Name, bool Passed, string Detail);

    public static async Task<int> RunAsync(StartupArguments arguments, StoreOpener openStore, TextWriter output, CancellationToken ct)
    {
        OutpostOptions options;
        try
        {
            options = OutpostConfiguration.Load(arguments);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or FormatException or InvalidOperationException)
        {
            await output.WriteLineAsync($"FAIL  configuration: {ex.Message}");
            return 1;
        }

        var checks = new List<Check> { CheckLibpcap(), CheckCapabilities(options), CheckDataDirectory(options.DataDirectory) };
        checks.Add(await CheckStoreAsync(options, openStore, ct));
        foreach (var check in checks)
        {
            await output.WriteLineAsync($"{(check.Passed ? "ok  " : "FAIL")}  {check.Name}: {check.Detail}");
        }

        var failed = checks.Count(c => !c.Passed);
        await output.WriteLineAsync(failed == 0
            ? "selftest: all checks passed"
            : string.Create(CultureInfo.InvariantCulture, $"selftest: {failed} check(s) failed"));
        return failed == 0 ? 0 : 1;
    }

    public static Check CheckLibpcap()
    {
        const string Name = "libpcap";
        if (!Outpost.Probe.Capture.PcapLibrary.TryLoad(out var handle, out var library))
        {
            return new Check(Name, false, $"{library} could not be loaded, so no scan can capture replies. "
                + "Install the libpcap0.8 package (Debian, Ubuntu) or libpcap (RHEL, Fedora, SUSE).");
        }

        try
        {
            if (!NativeLibrary.TryGetExport(handle, "pcap_lib_version", out var export))
            {
                return new Check(Name, false, $"{library} loaded but has no pcap_lib_version: it is not a usable libpcap.");
            }

            unsafe
            {
                var version = Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)export)());
                return new Check(Name, true, version ?? library);
            }
        }
        finally
        {
            NativeLibrary.Free(handle);
        }
    }

    public static Check CheckCapabilities(OutpostOptions options)
    {
        const string Name = "capabilities";
        ulong effective;
        try
        {
            effective = Probe.Capture.ProcessCapabilities.Mask("CapEff");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return new Check(Name, false, $"cannot read this process's capabilities from /proc/self/status: {ex.Message}");
        }

        var problems = new List<string>();
        if (options.BuiltInScanner.Enabled && (effective & (1UL << RawSocketPrivilege.CapNetRaw)) == 0)
        {
            problems.Add("CAP_NET_RAW is missing, so the probe engine cannot open raw packet sockets to send SYNs");
        }

        var lowPorts = options.UrlList.Select(PortOf).Where(p => p is > 0 && p < UnprivilegedPortStart()).ToList();
        if (lowPorts.Count > 0 && (effective & (1UL << CapNetBindService)) == 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"CAP_NET_BIND_SERVICE is missing, so the daemon cannot listen on port {lowPorts[0]}"));
        }

        return problems.Count == 0
            ? new Check(Name, true, NeededCapabilities(options.BuiltInScanner.Enabled, lowPorts.Count > 0))
            : new Check(Name, false, string.Join("; ", problems) + ". outpost.service grants them (AmbientCapabilities); "
                + "outside the service run this as root.");
    }

    private static string NeededCapabilities(bool scanning, bool lowPort)
    {
        var needed = new List<string>();
        if (scanning) needed.Add("CAP_NET_RAW");
        if (lowPort) needed.Add("CAP_NET_BIND_SERVICE");
        var effective = needed.Count switch
        {
            0 => "none needed",
            1 => needed[0] + " is effective",
            _ => string.Join(" and ", needed) + " are effective",
        };
        return scanning ? effective : effective + " (the built-in scanner is off, so the daemon gives up CAP_NET_RAW)";
    }

    public static Check CheckDataDirectory(string dataDirectory)
    {
        const string Name = "data directory";
        if (!Directory.Exists(dataDirectory))
        {
            return new Check(Name, false, $"{dataDirectory} does not exist. The package creates it (systemd-tmpfiles); "
                + "recreate it with: systemd-tmpfiles --create outpost.conf, or install -d -o outpost -g outpost -m 0750 "
                + dataDirectory);
        }

        var probe = Path.Combine(dataDirectory, string.Create(CultureInfo.InvariantCulture, $".selftest-{Environment.ProcessId}"));
        try
        {
            File.WriteAllText(probe, "selftest\n");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new Check(Name, false, $"{dataDirectory} is not writable by this user ({Environment.UserName}): {ex.Message}");
        }

        var token = Path.Combine(dataDirectory, AdminToken.FileName);
        if (!OperatingSystem.IsWindows() && File.Exists(token) && (File.GetUnixFileMode(token) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
        {
            return new Check(Name, false, $"{token} can be read by other users; make it private with: chmod 600 {token}");
        }

        return new Check(Name, true, $"{dataDirectory} exists and is writable");
    }

    public static async Task<Check> CheckStoreAsync(OutpostOptions options, StoreOpener openStore, CancellationToken ct)
    {
        const string Name = "store";
        var store = options.StoreDirectory;
        if (!Directory.Exists(store))
        {
            return new Check(Name, true, $"{store} does not exist yet; the daemon creates it on its first start");
        }

        List<FileInfo> files;
        try
        {
            // The lock file is the running daemon's (locked against every other opener), not part of the store's data.
            files = [.. new DirectoryInfo(store).EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.Name != StoreFiles.LockFile)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new Check(Name, false, $"cannot list {store}: {ex.Message}");
        }

        if (FilesProblem(options.DataDirectory, files) is { } problem)
        {
            return new Check(Name, false, problem);
        }

        var bytes = files.Sum(f => f.Length);
        if (RunningDaemon() is { } pid)
        {
            return new Check(Name, true, string.Create(CultureInfo.InvariantCulture,
                $"the daemon is running (pid {pid}): checked the {files.Count} files of {store} without opening them"));
        }

        var temp = Directory.CreateTempSubdirectory("outpost-selftest-");
        try
        {
            if (new DriveInfo(temp.FullName).AvailableFreeSpace < bytes * 2)
            {
                return new Check(Name, true, string.Create(CultureInfo.InvariantCulture,
                    $"{files.Count} files readable; the store ({bytes >> 20} MiB) is too large to open a copy in {temp.Parent?.FullName}"));
            }

            var copy = new OutpostOptions { DataDirectory = temp.FullName, Store = options.Store };
            StoreCommands.CopyDirectory(store, copy.StoreDirectory);
            CopyRecords(options.DataDirectory, copy.DataDirectory);
            var opened = await openStore(copy, NullLoggerFactory.Instance, ct);
            await using (opened.ConfigureAwait(false))
            {
                return new Check(Name, true, string.Create(CultureInfo.InvariantCulture,
                    $"a copy of {store} opened and recovered ({opened.Store.ListScanners().Count} scanners); the store itself was not touched"));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new Check(Name, false, $"a copy of {store} does not open: {ex.Message}. Keep a copy of the directory before repairing it.");
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>Files the daemon could not read or write: unreadable ones, and ones owned by someone else (say, root).</summary>
    private static string? FilesProblem(string dataDirectory, List<FileInfo> files)
    {
        var owner = OwnerOf(dataDirectory);
        foreach (var file in files)
        {
            try
            {
                using var stream = file.Open(FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"{file.FullName} cannot be read: {ex.Message}";
            }

            if (owner is { } uid && OwnerOf(file.FullName) is { } fileUid && fileUid != uid)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"{file.FullName} is owned by uid {fileUid}, not by the data directory's owner (uid {uid}), so the daemon "
                    + $"may be unable to write it; fix with: chown -R --reference={dataDirectory} {dataDirectory}");
            }
        }

        return null;
    }

    /// <summary>Another process running this same binary as the daemon (not as a self-test), or null.</summary>
    private static int? RunningDaemon()
    {
        var self = Environment.ProcessPath is { } path ? Resolve(path) : null;
        if (self is null)
        {
            return null;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (argv.Length == 0 || argv.Contains("selftest"))
                {
                    continue;
                }

                var exe = new FileInfo(Path.Combine(dir, "exe")).LinkTarget;
                // Under `dotnet outpost.dll` (a dev run) the host is shared with every other .NET program: match the dll too.
                var sameHost = exe == self || Resolve(argv[0]) == self;
                if (sameHost && (Path.GetFileName(self) == "outpost" || argv.Contains(typeof(SelfTest).Assembly.Location)))
                {
                    return pid;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process exited meanwhile, or belongs to someone whose /proc entries we may not read.
            }
        }

        return null;
    }

    private static string? Resolve(string path)
    {
        try
        {
            var full = Path.IsPathRooted(path) ? path : null;
            return full is null ? null : new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The records database and its write-ahead log, when present (the daemon is not running, so the files are at rest).</summary>
    private static void CopyRecords(string fromDataDirectory, string toDataDirectory)
    {
        foreach (var name in new[] { RecordsDatabase.FileName, RecordsDatabase.FileName + "-wal" })
        {
            var file = Path.Combine(fromDataDirectory, name);
            if (File.Exists(file)) File.Copy(file, Path.Combine(toDataDirectory, name));
        }
    }


    private static int UnprivilegedPortStart()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_unprivileged_port_start").Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return 1024;
        }
    }

    private static int? PortOf(string url)
    {
        // Kestrel's wildcard hosts (* and +) are not valid URI hosts: replace them to let Uri parse the port.
        var parsable = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        return Uri.TryCreate(parsable, UriKind.Absolute, out var uri) ? uri.Port : null;
    }

    private static uint? OwnerOf(string path)
    {
        try
        {
            return Stat(path, out var st) == 0 ? st.Uid : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // A libc without a plain stat symbol (glibc before 2.33): the ownership check is skipped.
            return null;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct StatBuffer
    {
        public ulong Dev;
        public ulong Ino;
        public ulong Nlink;
        public uint Mode;
        public uint Uid;
        public uint Gid;
        private readonly int _pad0;
        public ulong Rdev;
        public long Size;
        public long Blksize;
        public long Blocks;
        private readonly long _atime;
        private readonly long _atimeNsec;
        private readonly long _mtime;
        private readonly long _mtimeNsec;
        private readonly long _ctime;
        private readonly long _ctimeNsec;
        private readonly long _reserved0;
        private readonly long _reserved1;
        private readonly long _reserved2;
    }

    // x86-64 struct stat layout (the packages are built for linux-x64 only).
    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, out StatBuffer buffer);
}
