using System.Formats.Tar;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Http;
using Outpost.Store;
using Outpost.Store.Faster;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// Backup and restore of a whole appliance (docs/store-operations.md, "Backup and restore").
/// <c>POST /api/store/backup</c> (admin) builds a consistent copy of the running appliance — the store under
/// <c>store/</c> (see <see cref="FasterOutpostStore.BackupAsync"/>) and every <see cref="IBackupParticipant"/> — in
/// a scratch directory of the data directory, and answers it as a tar stream. <c>outpost backup DIR</c> calls it on
/// the local daemon and unpacks the copy into DIR; <c>outpost restore DIR</c>, with the daemon stopped, checks the
/// copy and puts it in place, keeping what it replaces under <c>before-restore-TIME/</c>.
/// </summary>
public static partial class StoreBackup
{
    public const string Path = "/api/store/backup";
    private const string StoreEntry = "store";

    public static void MapStoreBackupApi(this IEndpointRouteBuilder routes) =>
        routes.MapPost(Path, BackupAsync)
            .RequireAuthorization(AuthPolicies.Admin)
            .WithTags("Operations")
            .WithSummary("A consistent copy of the running appliance's data, as a tar archive (docs/store-operations.md).")
            .Produces(StatusCodes.Status200OK, contentType: "application/x-tar")
            .Produces<Contracts.ErrorResponse>(StatusCodes.Status409Conflict)
            .Produces<Contracts.ErrorResponse>(StatusCodes.Status503ServiceUnavailable);

    private static async Task<IResult> BackupAsync(HttpContext context, IOutpostStore store, IEnumerable<IBackupParticipant> participants,
        IOptions<OutpostOptions> options, ILoggerFactory loggers)
    {
        if (store is not FasterOutpostStore faster)
        {
            return new ConflictError("This appliance keeps its data in PostgreSQL: back it up with the database's own tools (pg_dump).");
        }

        var ct = context.RequestAborted;
        var scratch = System.IO.Path.Combine(options.Value.DataDirectory, "backup-" + Guid.NewGuid().ToString("N"));
        try
        {
            await faster.BackupAsync(System.IO.Path.Combine(scratch, StoreEntry), ct);
            foreach (var participant in participants)
            {
                await participant.BackupToAsync(scratch, ct);
            }

            var logger = loggers.CreateLogger(typeof(StoreBackup));
            var mebibytes = FasterOutpostStore.DiskBytes(scratch) >> 20;
            LogBackup(logger, mebibytes);
            context.Response.ContentType = "application/x-tar";
            await TarFile.CreateFromDirectoryAsync(scratch, context.Response.Body, includeBaseDirectory: false, ct);
            return Results.Empty;
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    /// <summary><c>outpost backup DIR</c>: asks the local daemon for a copy and unpacks it into DIR (new or empty).</summary>
    public static async Task<int> BackupCommandAsync(StartupArguments arguments, string target, string? url, TextWriter output, CancellationToken ct)
    {
        var options = OutpostConfiguration.Load(arguments);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            await output.WriteLineAsync($"outpost backup: {target} is not empty; give a new or empty directory.");
            return 2;
        }

        var address = url ?? LocalAddress(options);
        if (address is null)
        {
            await output.WriteLineAsync("outpost backup: no listen URL in the configuration; give the daemon's address with --url.");
            return 2;
        }

        using var http = new HttpClient(new SocketsHttpHandler
        {
            // The daemon's own certificate (a self-signed one is the norm): trusted when it is the one in its configuration.
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) => errors == System.Net.Security.SslPolicyErrors.None || IsOwnCertificate(options, certificate) },
        })
        { BaseAddress = new Uri(address), Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Post, Path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminTokenText(options));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            await output.WriteLineAsync($"outpost backup: the daemon at {address} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            return 1;
        }

        Directory.CreateDirectory(target);
        await using (var body = await response.Content.ReadAsStreamAsync(ct))
        {
            await TarFile.ExtractToDirectoryAsync(body, target, overwriteFiles: false, ct);
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"outpost backup: a consistent copy of {options.DataDirectory} ({FasterOutpostStore.DiskBytes(target) / 1048576.0:0.0} MiB) is in {target}; put it back with `outpost restore {target}`."));
        return 0;
    }

    /// <summary>
    /// <c>outpost restore DIR</c> (daemon stopped): checks the copy's store, then replaces the data directory's entries
    /// by the copy's, keeping the replaced ones under <c>before-restore-TIME/</c>.
    /// </summary>
    public static async Task<int> RestoreCommandAsync(StartupArguments arguments, string source, TextWriter output, CancellationToken ct)
    {
        var options = OutpostConfiguration.Load(arguments);
        var storeCopy = System.IO.Path.Combine(source, StoreEntry);
        if (!Directory.Exists(storeCopy))
        {
            await output.WriteLineAsync($"outpost restore: {source} is not a backup made by `outpost backup` (it has no {StoreEntry}/).");
            return 2;
        }

        // The copy is checked on a copy of its own, so the backup stays exactly as it was made.
        var staging = System.IO.Path.Combine(options.DataDirectory, "restore-" + Guid.NewGuid().ToString("N"));
        StoreCommands.CopyDirectory(source, staging);
        var check = new StringWriter();
        if (!await FasterOutpostStore.VerifyAsync(FasterStoreOpener.Options(options) with { DataDirectory = System.IO.Path.Combine(staging, StoreEntry), MinFreeBytes = 0 }, check, ct))
        {
            Directory.Delete(staging, recursive: true);
            await output.WriteAsync(check.ToString());
            await output.WriteLineAsync($"outpost restore: the backup in {source} does not recover; nothing was changed.");
            return 1;
        }

        // The store's lock: a running daemon holds it, and a restore under it would corrupt both.
        using (var held = TryLock(options.StoreDirectory))
        {
            if (held is null)
            {
                Directory.Delete(staging, recursive: true);
                await output.WriteLineAsync("outpost restore: the daemon is running; stop it first (systemctl stop outpost).");
                return 2;
            }
        }

        var aside = System.IO.Path.Combine(options.DataDirectory, "before-restore-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(aside);
        foreach (var entry in Directory.EnumerateFileSystemEntries(staging))
        {
            var name = System.IO.Path.GetFileName(entry);
            var current = System.IO.Path.Combine(options.DataDirectory, name);
            if (Directory.Exists(current))
            {
                Directory.Move(current, System.IO.Path.Combine(aside, name));
            }
            else if (File.Exists(current))
            {
                File.Move(current, System.IO.Path.Combine(aside, name));
            }

            if (Directory.Exists(entry))
            {
                Directory.Move(entry, current);
            }
            else
            {
                File.Move(entry, current);
            }
        }

        Directory.Delete(staging, recursive: true);
        await output.WriteLineAsync($"outpost restore: {source} is in place in {options.DataDirectory}; what it replaced is in {aside}. Start the daemon.");
        return 0;
    }

    private static FileStream? TryLock(string storeDirectory)
    {
        try
        {
            return Directory.Exists(storeDirectory)
                ? new FileStream(System.IO.Path.Combine(storeDirectory, "store.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                : new FileStream(System.IO.Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The first configured URL, with a wildcard host made loopback.</summary>
    private static string? LocalAddress(OutpostOptions options) =>
        options.UrlList is [var url, ..]
            ? url.Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://[::1]", StringComparison.Ordinal)
            : null;

    private static string AdminTokenText(OutpostOptions options) =>
        Environment.GetEnvironmentVariable(AdminToken.EnvironmentVariable) is { Length: > 0 } token
            ? token.Trim()
            : File.ReadAllText(System.IO.Path.Combine(options.DataDirectory, AdminToken.FileName)).Trim();

    private static bool IsOwnCertificate(OutpostOptions options, X509Certificate? presented)
    {
        var path = options.Tls.CertificatePath is { Length: > 0 } configured ? configured : System.IO.Path.Combine(options.DataDirectory, TlsCertificate.CertificateFile);
        if (presented is null || !File.Exists(path))
        {
            return false;
        }

        using var own = X509Certificate2.CreateFromPem(File.ReadAllText(path));
        return own.GetCertHashString() == presented.GetCertHashString();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backup taken: {MiB} MiB streamed to the client")]
    private static partial void LogBackup(ILogger logger, long miB);
}
