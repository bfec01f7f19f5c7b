namespace Outpost.Appliance.Hosting;

/// <summary>What tests watch instead of sleeping: each leadership check, as it finishes.</summary>
public sealed partial class Leadership
{
    private TaskCompletionSource _checked = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the next check (a follower's try for the lock, a leader's look at its session) is done.</summary>
    internal Task NextCheck => Volatile.Read(ref _checked).Task;

    private void CheckDone() =>
        Interlocked.Exchange(ref _checked, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).SetResult();
}
