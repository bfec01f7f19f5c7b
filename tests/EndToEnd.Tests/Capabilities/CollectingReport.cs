using System.Collections.Concurrent;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Engine;

namespace Outpost.EndToEnd.Tests.Capabilities;

/// <summary>An <see cref="IJobReport"/> that keeps everything a capability reports, for assertions.</summary>
internal sealed class CollectingReport : IJobReport
{
    public ConcurrentQueue<CapabilityResult> Results { get; } = new();

    public ConcurrentQueue<string> Warnings { get; } = new();

    public long Done { get; private set; }

    public void OpenPort(in ScanResult result) => throw new InvalidOperationException("a web capability reported an open port");

    public void Add(CapabilityResult result) => Results.Enqueue(result);

    public void Progress(long done) => Done = Math.Max(Done, done);

    public void Cursor(long sentBelow) => throw new InvalidOperationException("a web capability reported a probe cursor");

    public void Warning(string message) => Warnings.Enqueue(message);
}
