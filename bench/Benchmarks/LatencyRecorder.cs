using System.Diagnostics;

namespace Outpost.Benchmarks;

/// <summary>
/// Per-operation latency samples with percentiles. Each load lane records into its own recorder (no lock on the
/// measured path); <see cref="Merge"/> combines them at the end.
/// </summary>
internal sealed class LatencyRecorder
{
    private const int CapacityPerOperation = 20_000;
    private readonly Dictionary<Enum, Reservoir> _reservoirs = [];

    public void Add(Enum operation, long startTimestamp)
    {
        if (!_reservoirs.TryGetValue(operation, out var reservoir)) _reservoirs[operation] = reservoir = new Reservoir();
        reservoir.Add(Stopwatch.GetElapsedTime(startTimestamp).TotalMicroseconds);
    }

    public static LatencyRecorder Merge(IEnumerable<LatencyRecorder> recorders)
    {
        var merged = new LatencyRecorder();
        foreach (var recorder in recorders)
            foreach (var (operation, reservoir) in recorder._reservoirs)
            {
                if (!merged._reservoirs.TryGetValue(operation, out var target)) merged._reservoirs[operation] = target = new Reservoir();
                target.Samples.AddRange(reservoir.Samples);
            }
        return merged;
    }

    public IReadOnlyList<(Enum Operation, double P50, double P99)> Percentiles() =>
        [.. _reservoirs.Select(r => (r.Key, r.Value.Percentile(0.50), r.Value.Percentile(0.99)))];

    private sealed class Reservoir
    {
        private readonly Random _random = new(7);
        private long _seen;

        public List<double> Samples { get; } = [];

        public void Add(double value)
        {
            // Reservoir sampling keeps a uniform sample of every operation seen, in bounded memory.
            if (Samples.Count < CapacityPerOperation) Samples.Add(value);
            else if (_random.NextInt64(_seen + 1) is var slot && slot < CapacityPerOperation) Samples[(int)slot] = value;
            _seen++;
        }

        public double Percentile(double p)
        {
            if (Samples.Count == 0) return double.NaN;
            var sorted = Samples.Order().ToArray();
            return sorted[(int)Math.Min(sorted.Length - 1, p * sorted.Length)];
        }
    }
}
