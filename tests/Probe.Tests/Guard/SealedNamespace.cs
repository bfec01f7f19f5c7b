using System.Globalization;
using Outpost.Probe.Tests.Integration;

namespace Outpost.Probe.Tests.Guard;

/// <summary>
/// A namespace <c>dn-s…</c> with nothing but its loopback: a command run inside can send nowhere, so a test of what the
/// probe refuses stays harmless even if the refusal had a bug. Dispose deletes it, also when the test failed.
/// </summary>
internal sealed class SealedNamespace : IDisposable
{
    private static int _counter;

    public SealedNamespace()
    {
        Name = string.Create(CultureInfo.InvariantCulture, $"dn-s{Environment.ProcessId % 10000}x{Interlocked.Increment(ref _counter)}");
        NetworkNamespace.Run("ip", "netns", "add", Name);
    }

    public string Name { get; }

    /// <summary>Runs <c>outpost-probe</c> with <paramref name="args"/> inside the namespace.</summary>
    public (int ExitCode, string Stdout, string Stderr) RunProbe(params string[] args) =>
        NetworkNamespace.Exec("ip", ["netns", "exec", Name, Path.Combine(AppContext.BaseDirectory, "outpost-probe"), .. args]);

    public void Dispose() => NetworkNamespace.Exec("ip", "netns", "del", Name);
}
