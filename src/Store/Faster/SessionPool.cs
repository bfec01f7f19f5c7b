using System.Collections.Concurrent;

namespace Outpost.Store.Faster;

/// <summary>
/// FASTER sessions are single-threaded; operations rent one for the duration of a synchronous call and give it
/// back, so any number of concurrent callers share a few sessions without a lock (ConcurrentBag keeps a
/// per-thread list, so a thread usually gets back the session it used last).
/// </summary>
internal sealed class SessionPool<TSession>(Func<TSession> create) : IDisposable where TSession : IDisposable
{
    private readonly ConcurrentBag<TSession> _idle = [];

    public TSession Rent() => _idle.TryTake(out var session) ? session : create();

    public void Return(TSession session) => _idle.Add(session);

    public void Dispose()
    {
        while (_idle.TryTake(out var session)) session.Dispose();
    }
}
