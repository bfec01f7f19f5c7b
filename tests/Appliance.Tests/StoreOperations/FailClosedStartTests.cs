using System.Diagnostics;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests.StoreOperations;

/// <summary>
/// docs/store-operations.md, "Fail closed", against the real daemon: a data directory whose store lost a file makes
/// the daemon exit non-zero naming the file and the way out, and <c>outpost store verify</c> says the same; the
/// intact directory verifies healthy.
/// </summary>
public sealed class FailClosedStartTests
{
    [Theory]
    [InlineData("manifest.json")]
    [InlineData("checkpoints/jobs")]
    public async Task A_store_missing_a_file_is_not_opened_and_verify_names_it(string file)
    {
        using var directory = new TempDirectory();
        using (var daemon = await DaemonProcess.StartAsync(directory))
        using (var api = new Api(daemon.BaseAddress))
        {
            var (scannerId, _) = await api.CreateScannerAsync("kept");
            await api.CreateScanAsync(["10.0.0.0/24"], [scannerId]);
            daemon.Terminate();
            Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the daemon did not stop on SIGTERM");
        }

        var (healthyCode, healthy) = await RunOutpostAsync(directory, "store", "verify");
        Assert.True(healthyCode == 0, healthy);
        Assert.Contains("healthy", healthy, StringComparison.Ordinal);

        var path = Path.Combine(directory.Path, "data", "store", file);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);

        var (startCode, startOutput) = await RunOutpostAsync(directory);
        Assert.True(startCode != 0, "the daemon started on a damaged store: " + startOutput);
        Assert.Contains(Path.GetFileName(file), startOutput, StringComparison.Ordinal);
        Assert.Contains("outpost restore", startOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", startOutput, StringComparison.Ordinal);

        var (verifyCode, verify) = await RunOutpostAsync(directory, "store", "verify");
        Assert.True(verifyCode != 0, verify);
        Assert.Contains("DAMAGED", verify, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(file), verify, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backup_of_the_running_daemon_restores_a_damaged_store()
    {
        using var directory = new TempDirectory();
        var backup = Path.Combine(directory.Path, "backup");
        long scanId;
        using (var daemon = await DaemonProcess.StartAsync(directory))
        using (var api = new Api(daemon.BaseAddress))
        {
            var (scannerId, _) = await api.CreateScannerAsync("kept");
            scanId = await api.CreateScanAsync(["10.0.0.0/23"], [scannerId]);
            var (code, output) = await RunOutpostAsync(directory, "backup", backup, "--url", daemon.BaseAddress.ToString());
            Assert.True(code == 0, output);
            await api.CreateScannerAsync("after-the-backup");
            daemon.KillHard();
        }

        File.Delete(Path.Combine(directory.Path, "data", "store", "manifest.json"));
        Assert.NotEqual(0, (await RunOutpostAsync(directory)).Code);

        var (restoreCode, restored) = await RunOutpostAsync(directory, "restore", backup);
        Assert.True(restoreCode == 0, restored);
        using (var daemon = await DaemonProcess.StartAsync(directory))
        using (var api = new Api(daemon.BaseAddress))
        {
            var names = (await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json.GetProperty("scanners")
                .EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
            Assert.Equal(["kept"], names);
            var scan = (await api.AdminAsync(HttpMethod.Get, $"/api/scans/{scanId}")).AssertOk().Json;
            Assert.Equal(2, scan.GetProperty("jobCounts").GetProperty("queued").GetInt64());
        }
    }

    /// <summary>Runs <c>outpost ARGS --data-dir … --config …</c> (the daemon when no arguments) to its exit; a start that listens is a failure.</summary>
    internal static Task<(int Code, string Output)> RunOutpostAsync(TempDirectory directory, params string[] arguments) =>
        RunOutpostAsync(directory, new Dictionary<string, string>(), arguments);

    internal static async Task<(int Code, string Output)> RunOutpostAsync(TempDirectory directory, IReadOnlyDictionary<string, string> environment,
        params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "outpost.dll"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(Path.Combine(directory.Path, "data"));
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(directory.WriteTestConfig());
        if (arguments.Length == 0)
        {
            info.ArgumentList.Add("--urls");
            info.ArgumentList.Add("http://127.0.0.1:0");
        }

        info.Environment["OUTPOST_ADMIN_TOKEN"] = Daemon.AdminToken;
        info.Environment.Remove("NOTIFY_SOCKET");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
