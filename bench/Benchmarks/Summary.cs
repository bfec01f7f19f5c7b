using System.Globalization;

namespace Outpost.Benchmarks;

/// <summary>The one line per comparison that CI and people read: outpost against the peer measured in the same run.</summary>
public static class Summary
{
    public static void Print(string name, double outpost, double peer, string unit)
    {
        var ratio = peer == 0 ? double.NaN : outpost / peer;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SUMMARY {name} outpost={outpost:0.###} peer={peer:0.###} unit={unit} ratio={ratio:0.###}"));
    }
}
