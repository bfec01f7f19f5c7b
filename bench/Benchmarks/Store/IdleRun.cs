using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// outpost-bench store idle [--seconds S]: the real daemon with its default store sizing and the built-in scanner
/// on, doing nothing. After a warm-up it reads <c>write_bytes</c> of <c>/proc/PID/io</c> twice, S seconds apart
/// (default 90), and extrapolates to an hour, against the target of 10 MB/h; and its resident memory against the
/// target of 250 MB (docs/store-operations.md, "Quiet when idle" and "Sizing").
/// </summary>
internal static partial class IdleRun
{
    public static async Task RunAsync(int seconds)
    {
        var directory = StoreBenchmark.TempDirectory("outpost-bench-idle");
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "outpost.json");
        await File.WriteAllTextAsync(config, """
            {
              "Outpost": { "BuiltInScanner": { "Enabled": true } },
              "Logging": { "LogLevel": { "Default": "Warning", "Microsoft.Hosting.Lifetime": "Information" } }
            }
            """);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "outpost.dll"), "--data-dir", Path.Combine(directory, "data"),
            "--urls", "http://127.0.0.1:0", "--config", config })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["OUTPOST_ADMIN_TOKEN"] = "idle-benchmark-admin-token-0123456789";
        using var process = Process.Start(info)!;
        try
        {
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null && Listening().IsMatch(e.Data)) listening.TrySetResult();
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) Console.Error.WriteLine("outpost: " + e.Data);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(120));
            // Warm-up: the first start writes the new store's first checkpoint, the scanner registers, the JIT settles.
            await Task.Delay(TimeSpan.FromSeconds(20));
            var before = WriteBytes(process.Id);
            var clock = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            var written = WriteBytes(process.Id) - before;
            var perHour = written * 3600.0 / clock.Elapsed.TotalSeconds / 1e6;
            var rss = ResidentMegabytes(process.Id);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"idle daemon (built-in scanner on): {written:N0} bytes written in {clock.Elapsed.TotalSeconds:0} s = {perHour:0.00} MB/h; RSS {rss:0} MB"));
            Summary.Print("store-idle-writes", perHour, 10, "MB/h (peer = 10 MB/h target)");
            Summary.Print("store-idle-rss", rss, 250, "MB (peer = 250 MB target)");
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static long WriteBytes(int pid) => Field($"/proc/{pid}/io", "write_bytes:");

    internal static double ResidentMegabytes(int pid) => Field($"/proc/{pid}/status", "VmRSS:") / 1024.0;

    private static long Field(string file, string name)
    {
        var line = File.ReadLines(file).First(l => l.StartsWith(name, StringComparison.Ordinal));
        return long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"Now listening on: (\S+)")]
    private static partial Regex Listening();
}
