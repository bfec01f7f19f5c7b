using Microsoft.Extensions.Logging;

namespace Outpost.Probe.Node;

/// <summary>
/// The node's log: one line per event on stderr, which systemd keeps in the journal. The probe package carries no
/// logging framework, and a node needs no more than levels and plain lines.
/// </summary>
public sealed class ConsoleLog(LogLevel minimum = LogLevel.Information) : ILogger
{
    private readonly Lock _gate = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        ArgumentNullException.ThrowIfNull(formatter);
        var level = logLevel switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            LogLevel.Error => "error",
            _ => "critical",
        };
        var line = $"outpost-probe: {level}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}";
        lock (_gate)
        {
            Console.Error.WriteLine(line);
        }
    }
}
