using Outpost.Store.Faster;
using Outpost.Store.Records;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// <c>outpost store verify</c>: explains the embedded store of a data directory in plain words and exits 0 only when
/// it recovers completely (docs/store-operations.md, "Verify"). It checks a copy when there is room for one, so
/// the files a daemon may be using are never opened; otherwise the store itself, which its lock keeps a running
/// daemon away from.
/// </summary>
public static class StoreCommands
{
    public static async Task<int> VerifyAsync(StartupArguments arguments, TextWriter output, CancellationToken ct)
    {
        OutpostOptions options;
        try
        {
            options = OutpostConfiguration.Load(arguments);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or FormatException or InvalidOperationException)
        {
            await output.WriteLineAsync($"outpost store verify: cannot read the configuration: {ex.Message}");
            return 2;
        }

        if (StoreKinds.Of(options) != StoreKinds.Faster)
        {
            await output.WriteLineAsync("outpost store verify: the store is PostgreSQL (Outpost:Store:Kind); check the database with its own tools.");
            return 2;
        }

        // The records database is checked in place: SQLite's WAL readers never disturb a running daemon's writer.
        var records = RecordsDatabase.Verify(Path.Combine(options.DataDirectory, RecordsDatabase.FileName));
        await output.WriteLineAsync(records.Sound
            ? $"{records.Path}: sound ({records.Summary})"
            : $"{records.Path}: DAMAGED: {records.Summary}. Restore a backup with 'outpost restore DIR'.");
        var store = FasterStoreOpener.Options(options);
        var bytes = FasterOutpostStore.DiskBytes(store.DataDirectory);
        var temp = Directory.CreateTempSubdirectory("outpost-verify-");
        try
        {
            if (bytes == 0 || new DriveInfo(temp.FullName).AvailableFreeSpace < bytes * 2)
            {
                return await FasterOutpostStore.VerifyAsync(store, output, ct) && records.Sound ? 0 : 1;
            }

            CopyDirectory(store.DataDirectory, temp.FullName);
            var report = new StringWriter();
            var healthy = await FasterOutpostStore.VerifyAsync(store with { DataDirectory = temp.FullName, MinFreeBytes = 0 }, report, ct);
            // The copy's findings, told about the original's files.
            await output.WriteAsync(report.ToString().Replace(temp.FullName, store.DataDirectory, StringComparison.Ordinal));
            return healthy && records.Sound ? 0 : 1;
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Copies a store's directory tree to check the copy: all but the lock file, which a running daemon holds (.NET
    /// locks it against every other opener) and which the copy's opener creates afresh.
    /// </summary>
    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) == StoreFiles.LockFile) continue;
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
        }
    }
}
