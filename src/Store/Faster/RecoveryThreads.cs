using System.Runtime.ExceptionServices;

namespace Outpost.Store.Faster;

/// <summary>
/// Runs recovery's blocking work on threads of its own, never on the thread pool's. FASTER completes its reads on
/// pool threads while the reader blocks until they finish; with the readers on pool threads too, a 2-core machine's
/// pool (two threads) was soon all readers waiting, and new pool threads come only about twice a second: a restart
/// of 1 M jobs spent over a second waiting for reads of a few hundred bytes of checkpoint metadata.
/// </summary>
internal static class RecoveryThreads
{
    /// <summary>Runs <paramref name="work"/> on a thread of its own and completes when it returns.</summary>
    public static Task Run(Action work, CancellationToken ct) =>
        Task.Factory.StartNew(work, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Runs <paramref name="parts"/> side by side as lanes (see <see cref="RunLanes(int, Action{int})"/>), in the order listed.</summary>
    public static void RunLanes(params Action[] parts) => RunLanes(parts.Length, part => parts[part]());

    /// <summary>
    /// Runs <paramref name="lane"/> for each lane 0..<paramref name="lanes"/>-1 at once, lane 0 on the calling thread and
    /// each other lane on a thread of its own; returns when all have, throwing the first lane's exception as it was thrown.
    /// </summary>
    public static void RunLanes(int lanes, Action<int> lane)
    {
        var others = new Task[lanes - 1];
        for (var index = 1; index < lanes; index++)
        {
            var own = index;
            others[index - 1] = Task.Factory.StartNew(() => lane(own), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        Exception? first = null;
        try
        {
            lane(0);
        }
        catch (Exception e)
        {
            first = e;
        }
        foreach (var other in others)
        {
            try
            {
                other.Wait();
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                first ??= e.InnerExceptions[0];
            }
        }
        if (first is not null) ExceptionDispatchInfo.Throw(first);
    }
}
