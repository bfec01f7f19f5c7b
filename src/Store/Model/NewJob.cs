namespace Outpost.Store.Model;

/// <summary>A job to enqueue at a scan's dispatch: immutable from here on (the spec of the work, not its state).</summary>
public sealed record NewJob(long ScannerId, string Name, IReadOnlyList<JobTarget> Targets, int MaxProbesPerSecond);
