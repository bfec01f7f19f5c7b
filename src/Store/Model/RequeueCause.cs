namespace Outpost.Store.Model;

/// <summary>Why a job a scanner held goes back to the queue (<see cref="IOutpostStore.RequeueAsync"/>).</summary>
public enum RequeueCause
{
    /// <summary>The scanner went silent past the re-assign timeout, holding the job.</summary>
    ScannerOffline,
    /// <summary>The scanner kept heartbeating but stopped listing the job past the lease grace: its claim reply or its run was lost.</summary>
    LeaseLost,
}

public static class RequeueCauses
{
    /// <summary>The error a job fails with when <paramref name="cause"/> takes it over its attempts: what an operator reads on the Jobs page.</summary>
    public static string GaveUp(this RequeueCause cause, string scannerName, int attempts) => cause switch
    {
        RequeueCause.LeaseLost => $"scanner {scannerName} stopped reporting the job (a lost claim reply or a lost run); gave up after {attempts} attempts",
        _ => $"scanner {scannerName} went offline while holding the job; gave up after {attempts} attempts",
    };
}
