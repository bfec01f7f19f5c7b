namespace Outpost.Store;

/// <summary>
/// The data directory holds a store that cannot be recovered completely (a file missing or damaged). The store is
/// never opened as if it were empty: the daemon exits non-zero with this message, which names the file and the way
/// out (docs/store-operations.md, "Fail closed").
/// </summary>
public sealed class StoreDamagedException : Exception
{
    public const string WayOut =
        "The store was not opened, so nothing was changed. Run `outpost store verify` for details; restore the latest backup with `outpost restore BACKUP-DIR` (daemon stopped), or move the data directory aside to start with an empty store.";

    public StoreDamagedException()
    {
    }

    public StoreDamagedException(string message) : base(message)
    {
    }

    public StoreDamagedException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The damage as a sentence naming <paramref name="file"/>, followed by <see cref="WayOut"/>.</summary>
    public static StoreDamagedException Of(string file, string problem, Exception? inner = null) =>
        new($"the store cannot be recovered: {file} {problem}. {WayOut}", inner!);
}
