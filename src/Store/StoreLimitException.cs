namespace Outpost.Store;

/// <summary>
/// A request asks the store to hold more in one piece than it can (see <see cref="Model.NewJob.MaxSpecBytes"/>). It is
/// raised before anything changes, so the caller answers 400 with the message and the store is as it was.
/// </summary>
public sealed class StoreLimitException : ArgumentException
{
    public StoreLimitException()
    {
    }

    public StoreLimitException(string message) : base(message)
    {
    }

    public StoreLimitException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
