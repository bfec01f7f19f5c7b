using System.Text;

namespace Outpost.Store.Model;

/// <summary>
/// A job to enqueue at a scan's dispatch: immutable from here on (the spec of the work, not its state). Its
/// <see cref="Name"/> is its scan's <see cref="ScanSpec.Capability"/>: the claim's capability filter goes by the
/// job's name in PostgreSQL and by its scan's capability in FASTER, which is the same thing for every scan the
/// appliance plans. A job for a pool has <see cref="Pool"/> set and <see cref="ScannerId"/> 0: any member claims it.
/// </summary>
public sealed record NewJob(long ScannerId, string Name, IReadOnlyList<JobTarget> Targets, int MaxProbesPerSecond, string? Pool = null)
{
    /// <summary>
    /// The largest spec (name and targets, as UTF-8) one job may have: every backend stores it whole, in one log entry
    /// of the embedded store. A scan with a larger job is refused before anything changes.
    /// </summary>
    public const int MaxSpecBytes = 512 * 1024;

    /// <summary>A new attempt of <paramref name="old"/>: the same spec, for the same scanner or the same pool.</summary>
    public static NewJob RerunOf(Job old) =>
        new(old.Pool is null ? old.ScannerId : 0, old.Name, old.Targets, old.MaxProbesPerSecond, old.Pool);

    /// <summary>The UTF-8 size of the job's name and targets, what <see cref="MaxSpecBytes"/> limits.</summary>
    public long SpecBytes()
    {
        long bytes = Encoding.UTF8.GetByteCount(Name) + Encoding.UTF8.GetByteCount(Pool ?? "");
        foreach (var target in Targets) bytes += Encoding.UTF8.GetByteCount(target.Cidr) + Encoding.UTF8.GetByteCount(target.Ports);
        return bytes;
    }

    /// <summary>Why a job of <paramref name="jobs"/> is over <see cref="MaxSpecBytes"/>, in words for a 400; null when none is.</summary>
    public static string? OversizedSpec(IReadOnlyList<NewJob> jobs)
    {
        foreach (var job in jobs)
        {
            var bytes = job.SpecBytes();
            if (bytes > MaxSpecBytes)
                return $"a job of this scan would need {bytes:N0} bytes for its targets and ports, over the limit of {MaxSpecBytes:N0}; use fewer separate targets or a shorter port list";
        }
        return null;
    }

    /// <summary>Throws <see cref="StoreLimitException"/> when a job of <paramref name="jobs"/> is over <see cref="MaxSpecBytes"/>.</summary>
    public static void CheckSpecSizes(IReadOnlyList<NewJob> jobs)
    {
        if (OversizedSpec(jobs) is { } problem) throw new StoreLimitException(problem);
    }
}
