using System.Text.Json;

namespace Outpost.Store.Faster;

// `outpost backup`: a consistent copy of the running store (docs/store-operations.md, "Backup and restore").
public sealed partial class FasterOutpostStore
{
    /// <summary>
    /// Writes a consistent copy of the store into <paramref name="target"/> while it keeps serving. A checkpoint is
    /// taken and its files copied (compaction and truncation wait meanwhile, and the logs' files only grow past what
    /// a checkpoint covers); the write-ahead log from that checkpoint up to the last commit — every change
    /// acknowledged before the backup began, and maybe a few more — becomes the copy's own log. Opening the copy
    /// replays it exactly as recovery after a crash would.
    /// </summary>
    public async Task BackupAsync(string target, CancellationToken ct)
    {
        EnsureWritable();
        await _maintenance.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await CheckpointAsync(withIndex: true, ct).ConfigureAwait(false);
            var source = _options.DataDirectory;
            var manifest = ReadManifest(source);
            var committed = _wal.CommittedUntilAddress;
            Directory.CreateDirectory(target);
            CopyTree(Path.Combine(source, "checkpoints"), Path.Combine(target, "checkpoints"));
            foreach (var file in Directory.EnumerateFiles(source, "*.log.*"))
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            var walStart = await _wal.ExportAsync(manifest.WalStart, committed, Path.Combine(target, "wal"), _options).ConfigureAwait(false);
            var catalog = await File.ReadAllBytesAsync(Path.Combine(source, manifest.CatalogFile), ct).ConfigureAwait(false);
            // Checked before it is written: a backup that would not open is an error now, not at restore time.
            JsonSerializer.Deserialize(catalog, StoreJson.Default.CatalogSnapshot);
            Manifest.Write(target, walStart, catalog);
        }
        finally
        {
            _maintenance.Release();
        }
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
