using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Outpost.Appliance.Tests.Infrastructure;

/// <summary>
/// A child process of a test (the daemon, a scanner node) whose stdout and stderr are collected line by line, so
/// tests can wait for what it says, signal it as systemd would, and never leave it running.
/// </summary>
public abstract class ObservedProcess : IDisposable
{
    private readonly List<string> _output = [];
    private readonly Lock _gate = new();

    protected ObservedProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => Collect(e.Data);
        process.ErrorDataReceived += (_, e) => Collect(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    protected Process Process { get; }

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public bool HasExited => Process.HasExited;

    public int ExitCode => Process.ExitCode;

    public int Id => Process.Id;

    /// <summary>
    /// Polls the output for a line that <paramref name="matches"/> until the deadline (the one wait allowed for a
    /// child process); fails with <paramref name="what"/> and the whole output.
    /// </summary>
    protected async Task<string> WaitForLineAsync(Func<string, bool> matches, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_gate)
            {
                foreach (var line in _output)
                {
                    if (matches(line))
                    {
                        return line;
                    }
                }
            }

            if (Process.HasExited)
            {
                break;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{what}; its output:\n{Output}");
    }

    /// <summary>SIGTERM, as systemd stops a service.</summary>
    public void Terminate() => Assert.Equal(0, SendSignal(Process.Id, 15));

    /// <summary>SIGINT, as Ctrl-C in a terminal.</summary>
    public void Interrupt() => Assert.Equal(0, SendSignal(Process.Id, 2));

    /// <summary><c>kill -9</c>: no shutdown code runs, whatever was in flight is cut.</summary>
    public void KillHard()
    {
        Process.Kill();
        Process.WaitForExit();
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
            Process.WaitForExit();
        }

        Process.Dispose();
        GC.SuppressFinalize(this);
    }

    private void Collect(string? line)
    {
        if (line is not null)
        {
            lock (_gate)
            {
                _output.Add(line);
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
