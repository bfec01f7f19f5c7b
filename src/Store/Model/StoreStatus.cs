namespace Outpost.Store.Model;

/// <summary>
/// The outcome of a store operation. Refusals are values, not exceptions, so the API maps them to docs/lifecycle.md's
/// codes and the hot path never throws; a refused operation changed nothing.
/// </summary>
public enum StoreStatus : byte
{
    Ok = 0,
    /// <summary>No such job, scan or scanner (404 NOT_FOUND).</summary>
    NotFound,
    /// <summary>The job is assigned to another scanner (403 JOB_NOT_OWNED).</summary>
    NotOwned,
    /// <summary>The entity's state does not allow the operation (409 INVALID_TRANSITION).</summary>
    InvalidTransition,
}
