using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;

namespace Outpost.Store.Faster;

// `outpost store verify`: the recovery a start would do, without starting anything or writing a checkpoint, told in
// plain words (docs/store-operations.md, "Verify").
public sealed partial class FasterOutpostStore
{
    /// <summary>Explains the store in <see cref="FasterStoreOptions.DataDirectory"/> on <paramref name="output"/>; true when it recovers completely.</summary>
    public static async Task<bool> VerifyAsync(FasterStoreOptions options, TextWriter output, CancellationToken ct)
    {
        var directory = options.DataDirectory;
        await output.WriteLineAsync($"store in {directory}:").ConfigureAwait(false);
        if (!Directory.Exists(directory) || !Directory.EnumerateFileSystemEntries(directory).Any(p => Path.GetFileName(p) != StoreFiles.LockFile))
        {
            await output.WriteLineAsync("  no store here: a daemon started on this directory would create an empty one.").ConfigureAwait(false);
            return false;
        }
        FasterOutpostStore store;
        try
        {
            store = await OpenAsync(options, NullLoggerFactory.Instance, verifyOnly: true, records: null, ct).ConfigureAwait(false);
        }
        catch (StoreDamagedException e)
        {
            await output.WriteLineAsync("  DAMAGED: " + e.Message).ConfigureAwait(false);
            return false;
        }
        catch (IOException e)
        {
            await output.WriteLineAsync($"  cannot check it: {e.Message}. Stop the daemon first, or check a backup (`outpost backup DIR`).").ConfigureAwait(false);
            return false;
        }
        try
        {
            var report = store.Recovery;
            var scans = store._catalog.Scans.Count();
            var scanners = store._catalog.Scanners.Count();
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  checkpoint: restored; {report.EntriesReplayed:N0} write-ahead log entries after it replayed")).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  contents: {report.Jobs:N0} jobs, {scans:N0} scans, {scanners:N0} scanners; {report.OrphansDropped:N0} never-acknowledged jobs would be dropped")).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  disk: {DiskBytes(directory) / 1048576.0:0.0} MiB in all (write-ahead log {DiskBytes(Path.Combine(directory, "wal")) / 1048576.0:0.0} MiB)")).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  healthy: every file recovery needs is present and readable (checked in {report.Elapsed.TotalMilliseconds:0} ms)")).ConfigureAwait(false);
            return true;
        }
        finally
        {
            await store.CloseWithoutCheckpointAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Bytes the files under <paramref name="directory"/> take.</summary>
    public static long DiskBytes(string directory) =>
        Directory.Exists(directory) ? Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(LengthOrZero) : 0;

    /// <summary>
    /// A running store deletes files as it works (write-ahead log segments, old checkpoints): one
    /// listed and then deleted before its size was read takes no room any more. A 50 M soak met that at 11 M jobs.
    /// </summary>
    private static long LengthOrZero(string file)
    {
        try
        {
            return new FileInfo(file).Length;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }
}
