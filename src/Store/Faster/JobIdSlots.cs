using System.Runtime.InteropServices;

namespace Outpost.Store.Faster;

/// <summary>
/// One zeroed slot of <typeparamref name="T"/> per job id in a range, for recovery's passes over millions of jobs.
/// Allocated outside the managed heap and freed on dispose: the memory goes back to the system as soon as recovery
/// is done, instead of staying in the garbage collector's large-object heap for the life of the daemon (10 M jobs
/// hold 80 MB of addresses for a few seconds).
/// </summary>
internal sealed unsafe class JobIdSlots<T> : IDisposable where T : unmanaged
{
    private readonly long _first;
    private readonly long _count;
    private T* _slots;

    public JobIdSlots(long first, long last)
    {
        _first = first;
        _count = Math.Max(0, last - first + 1);
        _slots = (T*)NativeMemory.AllocZeroed((nuint)Math.Max(1, _count), (nuint)sizeof(T));
    }

    public bool Holds(long jobId) => (ulong)(jobId - _first) < (ulong)_count;

    public ref T this[long jobId] => ref _slots[jobId - _first];

    public void Dispose()
    {
        NativeMemory.Free(_slots);
        _slots = null;
    }
}
