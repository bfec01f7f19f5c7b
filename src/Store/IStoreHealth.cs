namespace Outpost.Store;

/// <summary>
/// A backend that can tell, without a request, that it cannot take writes right now (the embedded store's disk is
/// full or its log cannot write). The daemon reports it on <c>/readyz</c>; see docs/store-operations.md.
/// </summary>
public interface IStoreHealth
{
    /// <summary>Why writes are refused or failing, in plain words; null while the store is healthy.</summary>
    string? UnavailableReason { get; }
}

/// <summary>Alarm kinds raised by the store itself.</summary>
public static class StoreAlarms
{
    /// <summary>The store cannot write (disk full, I/O errors): changes get 503 until it can again.</summary>
    public const string Unavailable = "store-unavailable";
}
