using System.Text.Json;

namespace Outpost.Store.Faster;

/// <summary>
/// Names the newest complete checkpoint: the log address replay starts from and the catalog written with it.
/// Replaced atomically (write, fsync, rename, fsync the directory), so a crash leaves the old one or the new one.
/// </summary>
internal sealed record Manifest(long WalStart, string CatalogFile)
{
    public const string FileName = "manifest.json";

    public static Manifest? TryRead(string directory)
    {
        var path = Path.Combine(directory, FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(path)) : null;
    }

    public static void Write(string directory, long walStart, byte[] catalogJson)
    {
        var catalogFile = $"catalog-{walStart}.json";
        WriteDurably(Path.Combine(directory, catalogFile), catalogJson);
        WriteDurably(Path.Combine(directory, FileName), JsonSerializer.SerializeToUtf8Bytes(new Manifest(walStart, catalogFile)));
        foreach (var old in Directory.EnumerateFiles(directory, "catalog-*.json"))
            if (Path.GetFileName(old) != catalogFile) File.Delete(old);
    }

    public static void WriteDurably(string path, byte[] bytes)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>fsync on the directory makes the rename itself durable.</summary>
    public static void SyncDirectory(string directory)
    {
        var handle = Open(directory, 0 /* O_RDONLY */);
        if (handle < 0) return;
        _ = Fsync(handle);
        _ = Close(handle);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int flags);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
