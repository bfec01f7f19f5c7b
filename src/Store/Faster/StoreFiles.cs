namespace Outpost.Store.Faster;

/// <summary>
/// The files of a data directory as recovery expects them (the layout is described on <see cref="FasterOutpostStore"/>):
/// whether a store exists at all, whether a log's files are all there, and the lock that keeps a second process out.
/// </summary>
public static class StoreFiles
{
    public const string LockFile = "store.lock";

    /// <summary>Present from the start of a new store's creation until its first checkpoint is written.</summary>
    private const string CreatingFile = "store.creating";

    /// <summary>
    /// True when the directory holds no store yet, the only case in which recovery may start empty; the caller then
    /// creates one, marked as being created until <see cref="FinishCreation"/>. A creation cut short (the marker
    /// still there) acknowledged nothing yet, so its files are removed and creation starts over.
    /// </summary>
    public static bool PrepareNew(string directory)
    {
        var marker = Path.Combine(directory, CreatingFile);
        if (File.Exists(marker))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
            {
                if (Path.GetFileName(entry) is LockFile or CreatingFile) continue;
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
            return true;
        }
        if (Directory.EnumerateFileSystemEntries(directory).Any(p => Path.GetFileName(p) is not LockFile)) return false;
        Manifest.WriteDurably(marker, []);
        return true;
    }

    /// <summary>Ends a new store's creation once its first checkpoint and manifest are on disk.</summary>
    public static void FinishCreation(string directory)
    {
        File.Delete(Path.Combine(directory, CreatingFile));
        Manifest.SyncDirectory(directory);
    }

    /// <summary>
    /// Takes the store's lock (an exclusive flock, released when the process ends, even by kill -9), so a second
    /// daemon or a restore cannot open the files under a running store.
    /// </summary>
    public static FileStream Lock(string directory)
    {
        Directory.CreateDirectory(directory);
        try
        {
            return new FileStream(Path.Combine(directory, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"the store in {directory} is in use by another process (a running outpost daemon?)", e);
        }
    }

    /// <summary>
    /// Checks that every file of a log between <paramref name="begin"/> and <paramref name="tail"/> has data: FASTER
    /// creates a missing file empty when it opens it and reads it as such, which would lose records silently.
    /// </summary>
    public static void CheckSegments(string directory, string baseName, int segmentSizeBits, long begin, long tail, string shownAs)
    {
        if (tail <= begin) return;
        for (var segment = begin >> segmentSizeBits; segment <= (tail - 1) >> segmentSizeBits; segment++)
        {
            var file = Path.Combine(directory, $"{baseName}.{segment}");
            if (!File.Exists(file) || new FileInfo(file).Length == 0)
                throw StoreDamagedException.Of(file, $"is missing: {shownAs} needs its files {begin >> segmentSizeBits} to {(tail - 1) >> segmentSizeBits}");
        }
    }
}
