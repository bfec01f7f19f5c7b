using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Outpost.EndToEnd.Tests;

/// <summary>
/// Crash-safe resume (docs/protocol.md, docs/probe-engine.md), with real processes and real packets into the test's
/// own namespace (<see cref="ResumeLab"/>): a node killed with SIGKILL halfway through a slow job, whose second holder
/// sends only the probes after the cursor the first one reported (counted on the wire); and the CLI's
/// <c>--resume FILE</c> after Ctrl-C. Every scan is bounded: 65 addresses × 40 ports at a fixed rate.
/// </summary>
public sealed partial class ResumeTests(ITestOutputHelper output)
{
    private const string Ports = "20-59";
    private const int PortCount = 40;
    private const int Total = ResumeLab.AddressCount * PortCount;
    private const int Rate = 200;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_node_killed_halfway_is_resumed_by_the_next_holder_which_sends_only_the_remaining_probes()
    {
        using var lab = ResumeLab.Create(22, 25, 53);
        using var directory = new TempDirectory();
        // A silent scanner's jobs are re-queued after seconds, not minutes, so the second holder can take over.
        using var daemon = await DaemonProcess.StartAsync(directory,
            scanners: """{ "HeartbeatTimeout": "00:00:10", "ReassignTimeout": "00:00:10", "SweepInterval": "00:00:00.500" }""");
        using var api = new Api(daemon.BaseAddress);
        var (scannerId, key) = await api.CreateScannerAsync("resume-e2e");

        var firstHolder = lab.CountSyns();
        using var first = ProbeNodeProcess.Start(daemon.BaseAddress, key, directory.Path);
        var scanId = await api.CreateScanAsync(lab.Targets, [scannerId], Ports, maxProbesPerSecond: Rate, name: "resume");
        var jobId = await SingleJobAsync(api, scanId);

        // Halfway (by the progress the node reported, which moves with its cursor), a crash.
        await WaitForJobAsync(api, jobId, j => j.GetProperty("progressCount").GetInt64() >= ResumeLab.AddressCount / 2, () => first.Output);
        first.KillHard();
        Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        var (firstSyns, _) = firstHolder.Stop();

        // The silent scanner's job goes back to the queue with one more attempt; then a new node takes it.
        await WaitForJobAsync(api, jobId, j => j.GetProperty("status").GetString() == "queued", () => daemon.Output);
        var secondHolder = lab.CountSyns();
        using var second = ProbeNodeProcess.Start(daemon.BaseAddress, key, directory.Path);
        var scan = await Scans.WaitAsync(api, scanId, Scans.Ended, Deadline, () => second.Output + "\n" + daemon.Output);
        var (secondSyns, secondDistinct) = secondHolder.Stop();

        Assert.True(Scans.Is(scan, "completed"), $"{scan}\n{second.Output}");
        Assert.Equal(lab.ExpectedOpen, await Scans.OpenPortsAsync(api, scanId));
        var job = await api.JobAsync(jobId);
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        Assert.Equal(ResumeLab.AddressCount, job.GetProperty("progressCount").GetInt64());

        // The second holder started at the first one's last reported cursor and sent exactly what lay beyond it, once each.
        var resumedFrom = long.Parse(ResumedFrom().Match(await second.WaitForOutputAsync($"job {jobId} (scan", Deadline)).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(resumedFrom, 1, Total - 1);
        Assert.True(firstSyns >= resumedFrom, $"the first holder sent {firstSyns} SYNs but its cursor said {resumedFrom}");
        Assert.Equal(Total - resumedFrom, secondSyns);
        Assert.Equal(secondSyns, secondDistinct);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESUME node: job of {Total} probes; first holder sent {firstSyns} before SIGKILL; second resumed at {resumedFrom} and sent {secondSyns}; probes saved by resume: {resumedFrom} ({100.0 * resumedFrom / Total:0.0}%); sent twice: {firstSyns - resumedFrom}"));
    }

    [Fact]
    public async Task The_cli_resumes_after_ctrl_c_from_its_file_and_refuses_a_file_of_another_scan()
    {
        using var lab = ResumeLab.Create(22, 25, 53);
        using var directory = new TempDirectory();
        var file = Path.Combine(directory.Path, "scan.resume");
        string[] scan = ["scan", .. lab.Targets, "-p", Ports, "--rate", Rate.ToString(CultureInfo.InvariantCulture), "--json", "--resume", file];

        var firstRun = lab.CountSyns();
        using var first = ScanProcess.Start(scan);
        await WaitForCursorAsync(file, Total / 3, first);
        first.Interrupt();
        Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(30)), first.Output);
        Assert.Equal(130, first.ExitCode);
        Assert.Contains("run again with --resume", first.Output, StringComparison.Ordinal);
        var (firstSyns, _) = firstRun.Stop();
        var saved = ReadCursor(file);
        // The file holds where every probe had its reply wait: at most what went out.
        Assert.InRange(saved, 1, firstSyns);

        var other = ScanProcess.Start(["scan", lab.Target, "-p", Ports, "--rate", "10", "--resume", file]);
        Assert.True(await other.WaitForExitAsync(TimeSpan.FromSeconds(30)), other.Output);
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("was written for a different scan", other.Output, StringComparison.Ordinal);
        Assert.Equal(saved, ReadCursor(file));

        var secondRun = lab.CountSyns();
        using var second = ScanProcess.Start(scan);
        Assert.True(await second.WaitForExitAsync(Deadline), second.Output);
        Assert.Equal(0, second.ExitCode);
        var (secondSyns, secondDistinct) = secondRun.Stop();
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"resuming from {file}: {saved} of {Total}"), second.Output, StringComparison.Ordinal);
        Assert.Equal(Total - saved, secondSyns);
        Assert.Equal(secondSyns, secondDistinct);
        Assert.Equal(Total, ReadCursor(file));

        // Both runs' findings together are exactly the listeners.
        var found = (first.Output + "\n" + second.Output).Split('\n').Where(l => l.StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.GetProperty("ip").GetString()}:{r.GetProperty("port").GetInt32()}"))
            .Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(lab.ExpectedOpen, found);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESUME cli: scan of {Total} probes; Ctrl-C after {firstSyns}; the resumed run sent {secondSyns}; probes saved by resume: {saved}; sent twice: {firstSyns - saved}"));
    }

    private static async Task<long> SingleJobAsync(Api api, long scanId)
    {
        var jobs = (await api.AdminAsync(HttpMethod.Get, $"/api/jobs?since=2000-01-01T00:00:00Z&scanId={scanId}")).AssertOk().Json.GetProperty("jobs");
        return Assert.Single(jobs.EnumerateArray()).GetProperty("jobId").GetInt64();
    }

    private static async Task WaitForJobAsync(Api api, long jobId, Func<JsonElement, bool> done, Func<string> logs)
    {
        var deadline = DateTime.UtcNow + Deadline;
        JsonElement job = default;
        while (DateTime.UtcNow < deadline)
        {
            job = await api.JobAsync(jobId);
            if (done(job))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"job {jobId} did not get there; last seen: {job}\n{logs()}");
    }

    private static async Task WaitForCursorAsync(string file, long atLeast, ScanProcess scan)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline && !scan.HasExited)
        {
            if (File.Exists(file) && ReadCursor(file) >= atLeast)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the scan's resume file never reached {atLeast}:\n{scan.Output}");
    }

    private static long ReadCursor(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(file));
        return json.RootElement.GetProperty("cursor").GetInt64();
    }

    [GeneratedRegex(@"from position (\d+)")]
    private static partial Regex ResumedFrom();

    /// <summary><c>outpost-probe scan …</c> as a separate process, its output collected.</summary>
    private sealed class ScanProcess(Process process) : ObservedProcess(process)
    {
        public static ScanProcess Start(string[] arguments)
        {
            // A terminal starts the CLI with SIGINT at its default; a suite started in the background of a script
            // (CI, nohup) passes SIGINT down ignored, and .NET then leaves it ignored, as a Unix program should.
            // env puts it back to the default and execs the CLI, so the pid signalled below is the CLI's own.
            var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add("--default-signal=INT");
            info.ArgumentList.Add("dotnet");
            info.ArgumentList.Add(ProbeNodeProcess.ProbeBinary);
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            return new ScanProcess(Process.Start(info)!);
        }
    }
}
