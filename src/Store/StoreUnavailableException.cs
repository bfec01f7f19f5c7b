namespace Outpost.Store;

/// <summary>
/// The store's database could not be reached, or the connection broke before an answer came back. The operation's
/// outcome is then unknown to this node (a commit may or may not have happened), so the caller must not answer as
/// if it knew: the daemon replies 503 <c>STORE_UNAVAILABLE</c> and the client retries. Refusals and bugs are never
/// reported this way.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
    {
    }

    public StoreUnavailableException(string message) : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
