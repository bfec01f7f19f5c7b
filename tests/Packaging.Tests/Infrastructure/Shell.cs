using System.Diagnostics;
using System.Text;

namespace Outpost.Packaging.Tests.Infrastructure;

/// <summary>What a finished command printed (stdout and stderr interleaved) and how it exited.</summary>
public sealed record CommandResult(string Command, int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>Fails the test with the command's output when it did not exit 0.</summary>
    public CommandResult EnsureSuccess()
    {
        Assert.True(ExitCode == 0, $"`{Command}` exited {ExitCode} after {Elapsed.TotalSeconds:F0} s:\n{Tail(Output)}");
        return this;
    }

    private static string Tail(string text) => text.Length <= 12000 ? text : "…" + text[^12000..];
}

/// <summary>Runs the real tools (dpkg, rpm, lintian, mmdebstrap, chroot) the way an admin would type them.</summary>
public static class Shell
{
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Repository.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Nothing in a package build or install may ask a question: fail instead of hanging.
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        var command = file + " " + string.Join(' ', start.ArgumentList);
        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            Assert.Fail($"`{command}` did not finish within {timeout.TotalSeconds:F0} s:\n{output}");
        }

        process.WaitForExit();
        lock (output)
        {
            return new CommandResult(command, process.ExitCode, output.ToString(), clock.Elapsed);
        }
    }

    public static Task<CommandResult> RunAsync(string file, params string[] arguments) =>
        RunAsync(file, arguments, TimeSpan.FromMinutes(3));

    /// <summary>Fails loudly, naming what to install, when a tool the packaging tests need is missing.</summary>
    public static void Require(params string[] tools)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin";
        foreach (var tool in tools)
        {
            var found = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, tool)));
            Assert.True(found, $"{tool} is not installed, so this packaging test cannot run; install it with scripts/deps.sh");
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
