namespace Outpost.Store.Model;

/// <summary>
/// A job to enqueue at a scan's dispatch: immutable from here on (the spec of the work, not its state). Its
/// <see cref="Name"/> is its scan's <see cref="ScanSpec.Capability"/>: the claim's capability filter goes by the
/// job's name in PostgreSQL and by its scan's capability in FASTER, which is the same thing for every scan the
/// appliance plans.
/// </summary>
public sealed record NewJob(long ScannerId, string Name, IReadOnlyList<JobTarget> Targets, int MaxProbesPerSecond);
