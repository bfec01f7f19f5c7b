using System.Diagnostics;
using Xunit.Abstractions;

namespace Outpost.Packaging.Tests.Infrastructure;

/// <summary>Writes how long each step of a long test took, so a slow CI run shows where its time went.</summary>
public sealed class StepTimer(ITestOutputHelper output)
{
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private TimeSpan _last;

    public void Done(string step)
    {
        var now = _total.Elapsed;
        output.WriteLine($"{now.TotalSeconds,6:F1} s  (+{(now - _last).TotalSeconds:F1} s)  {step}");
        _last = now;
    }
}
