using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Outpost.Appliance.Operations;

/// <summary>
/// Prometheus text exposition (format 0.0.4) of <see cref="System.Diagnostics.Metrics"/> instruments, without a
/// metrics library. A <see cref="MeterListener"/> aggregates as measurements arrive — counters sum, histograms
/// count into fixed buckets, gauges keep the last value — and a scrape renders the aggregates.
///
/// Measurements arrive on request threads (every HTTP request records its duration), so recording takes no lock and
/// allocates nothing once a series exists: a series is found by its rendered label text, looked up as a span in a
/// concurrent dictionary, and updated with interlocked operations. A scrape may see a histogram mid-update (a bucket
/// incremented, the sum not yet); Prometheus tolerates that skew and the next scrape is exact.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Upper bounds (seconds) of the latency buckets: 0.5 ms to 10 s.</summary>
    private static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // Framework instruments worth exporting, and the few of their tags that keep cardinality bounded.
    private const string HostingMeter = "Microsoft.AspNetCore.Hosting";
    private const string RequestDuration = "http.server.request.duration";
    private static readonly string[] RequestTags = ["http.request.method", "http.route", "http.response.status_code"];

    [ThreadStatic]
    private static char[]? _labelBuffer;

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();

    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("Outpost.", StringComparison.Ordinal)
                || (instrument.Meter.Name == HostingMeter && instrument.Name == RequestDuration))
            {
                var state = _instruments.GetOrAdd(instrument, static i => new InstrumentState(i));
                listener.EnableMeasurementEvents(instrument, state);
            }
        };
        _listener.MeasurementsCompleted = (instrument, state) => _instruments.TryRemove(instrument, out var _);
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.Start();
    }

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Polls the observable instruments and renders everything, sorted by metric name.</summary>
    public string Scrape()
    {
        foreach (var state in _instruments.Values)
        {
            state.BeginObservation();
        }

        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var state in _instruments.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            state.Render(text);
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private enum Kind
    {
        Sum,
        Last,
        Histogram,
    }

    private sealed class InstrumentState
    {
        private readonly Kind _kind;
        private readonly string _help;
        private readonly string[]? _keptTags;
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, Series>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

        public InstrumentState(Instrument instrument)
        {
            _kind = instrument switch
            {
                Counter<long> or Counter<int> or Counter<double> or UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double> => Kind.Sum,
                Histogram<long> or Histogram<int> or Histogram<double> => Kind.Histogram,
                _ => Kind.Last,
            };
            _keptTags = instrument.Name == RequestDuration ? RequestTags : null;
            _help = instrument.Description ?? instrument.Name;
            var name = instrument.Name.Replace('.', '_').Replace('-', '_');
            if (instrument.Unit == "s" && !name.EndsWith("_seconds", StringComparison.Ordinal))
            {
                name += "_seconds";
            }

            var isCounter = _kind == Kind.Sum && instrument is Counter<long> or Counter<int> or Counter<double>
                || instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal);
            Name = isCounter ? name + "_total" : name;
            Type = _kind == Kind.Histogram ? "histogram" : isCounter ? "counter" : "gauge";
            _bySpan = _series.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public string Name { get; }

        public string Type { get; }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var buffer = _labelBuffer ??= new char[512];
            var length = WriteLabels(tags, buffer);
            Series series;
            if (length < 0)
            {
                // Labels longer than the buffer: rare and bounded, so allocating here is fine.
                series = _series.GetOrAdd(LabelsToString(tags), static (_, kind) => new Series(kind), _kind);
            }
            else if (!_bySpan.TryGetValue(buffer.AsSpan(0, length), out series!))
            {
                series = _series.GetOrAdd(new string(buffer, 0, length), static (_, kind) => new Series(kind), _kind);
            }

            series.Add(_kind, value);
        }

        public void BeginObservation()
        {
            // Observable gauges report the current set of series; drop the ones that are gone.
            if (_kind == Kind.Last)
            {
                _series.Clear();
            }
        }

        public void Render(StringBuilder text)
        {
            if (_series.IsEmpty)
            {
                return;
            }

            text.Append("# HELP ").Append(Name).Append(' ').Append(_help.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(Type).Append('\n');
            foreach (var (labels, series) in _series.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (_kind == Kind.Histogram)
                {
                    long cumulative = 0;
                    for (var i = 0; i <= Buckets.Length; i++)
                    {
                        cumulative += Interlocked.Read(ref series.Counts![i]);
                        var le = i < Buckets.Length ? Buckets[i].ToString(CultureInfo.InvariantCulture) : "+Inf";
                        text.Append(Name).Append("_bucket{").Append(labels).Append(labels.Length > 0 ? "," : "")
                            .Append("le=\"").Append(le).Append("\"} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
                    }

                    AppendSample(text, Name + "_sum", labels, series.Value);
                    text.Append(Name).Append("_count").Append(labels.Length > 0 ? "{" + labels + "}" : "").Append(' ')
                        .Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
                }
                else
                {
                    AppendSample(text, Name, labels, series.Value);
                }
            }
        }

        private static void AppendSample(StringBuilder text, string name, string labels, double value)
        {
            text.Append(name);
            if (labels.Length > 0)
            {
                text.Append('{').Append(labels).Append('}');
            }

            text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        private string LabelsToString(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var buffer = new char[64 * 1024];
            var length = WriteLabels(tags, buffer);
            return length < 0 ? "" : new string(buffer, 0, length);
        }

        /// <summary>Renders <c>name="value",…</c> into <paramref name="buffer"/>; −1 if it does not fit.</summary>
        private int WriteLabels(ReadOnlySpan<KeyValuePair<string, object?>> tags, Span<char> buffer)
        {
            var at = 0;
            foreach (var tag in tags)
            {
                if (_keptTags is not null && Array.IndexOf(_keptTags, tag.Key) < 0)
                {
                    continue;
                }

                if (at > 0)
                {
                    if (at >= buffer.Length)
                    {
                        return -1;
                    }

                    buffer[at++] = ',';
                }

                foreach (var c in tag.Key)
                {
                    if (at >= buffer.Length)
                    {
                        return -1;
                    }

                    buffer[at++] = char.IsAsciiLetterOrDigit(c) ? c : '_';
                }

                if (at + 2 > buffer.Length)
                {
                    return -1;
                }

                buffer[at++] = '=';
                buffer[at++] = '"';
                switch (tag.Value)
                {
                    case int i when i.TryFormat(buffer[at..], out var written, default, CultureInfo.InvariantCulture):
                        at += written;
                        break;
                    case int:
                        return -1;
                    default:
                        foreach (var c in tag.Value as string ?? Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "")
                        {
                            if (at + 2 > buffer.Length)
                            {
                                return -1;
                            }

                            switch (c)
                            {
                                case '\\' or '"':
                                    buffer[at++] = '\\';
                                    buffer[at++] = c;
                                    break;
                                case '\n':
                                    buffer[at++] = '\\';
                                    buffer[at++] = 'n';
                                    break;
                                default:
                                    buffer[at++] = c;
                                    break;
                            }
                        }

                        break;
                }

                if (at >= buffer.Length)
                {
                    return -1;
                }

                buffer[at++] = '"';
            }

            return at;
        }
    }

    private sealed class Series(Kind kind)
    {
        // Histogram: one count per bucket plus +Inf; Value holds the sum. Sum and Last: Value is the value.
        public readonly long[]? Counts = kind == Kind.Histogram ? new long[Buckets.Length + 1] : null;
        private double _value;

        public double Value => Volatile.Read(ref _value);

        public void Add(Kind kind, double value)
        {
            switch (kind)
            {
                case Kind.Last:
                    Volatile.Write(ref _value, value);
                    return;
                case Kind.Histogram:
                    var bucket = 0;
                    while (bucket < Buckets.Length && value > Buckets[bucket])
                    {
                        bucket++;
                    }

                    Interlocked.Increment(ref Counts![bucket]);
                    goto default;
                default:
                    double seen, updated;
                    do
                    {
                        seen = Volatile.Read(ref _value);
                        updated = seen + value;
                    }
                    while (Interlocked.CompareExchange(ref _value, updated, seen) != seen);
                    return;
            }
        }
    }
}
