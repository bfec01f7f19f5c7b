using System.Diagnostics;

namespace Outpost.Ui.Tests.Infrastructure;

/// <summary>
/// <c>tsc --checkJs --noEmit</c> over the web UI. TypeScript comes from npm at a pinned version, installed once into a
/// cache directory this class owns (never into the repository); Node runs it. Options are loose (no <c>strict</c>), so
/// plain unannotated JavaScript passes, while anything that carries a type (the answers of <c>call</c> in api.js,
/// JSDoc) is checked: a field the API does not have is an error.
/// </summary>
public static class TypeScriptCheck
{
    public const string Version = "5.9.3";

    private static readonly string[] Options =
    [
        "--allowJs", "--checkJs", "--noEmit", "--pretty", "false",
        "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler", "--lib", "es2022,dom,dom.iterable",
    ];

    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    /// <summary>Every script under <paramref name="jsDir"/>, checked as one program.</summary>
    public static async Task<(int ExitCode, string Output)> CheckAsync(string jsDir)
    {
        var tsc = await InstallAsync();
        var args = new List<string> { tsc };
        args.AddRange(Options);
        args.AddRange(Directory.EnumerateFiles(jsDir, "*.js", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        return await RunAsync("node", args, jsDir, TimeSpan.FromMinutes(3));
    }

    private static async Task<string> InstallAsync()
    {
        var home = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        var prefix = Path.Combine(home, "outpost-tests", $"typescript-{Version}");
        var tsc = Path.Combine(prefix, "node_modules", "typescript", "bin", "tsc");
        await InstallLock.WaitAsync();
        try
        {
            if (!File.Exists(tsc))
            {
                Directory.CreateDirectory(prefix);
                var (code, output) = await RunAsync(
                    "npm",
                    ["install", "--prefix", prefix, $"typescript@{Version}", "--no-save", "--no-package-lock", "--no-audit", "--no-fund"],
                    prefix,
                    TimeSpan.FromMinutes(5));
                if (code != 0 || !File.Exists(tsc))
                {
                    throw new InvalidOperationException($"npm could not install typescript@{Version} into {prefix} (exit {code}):\n{output}");
                }
            }

            return tsc;
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout.TotalSeconds} s");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
