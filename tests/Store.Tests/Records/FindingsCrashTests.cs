using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Records;
using Outpost.Store.Records.Findings;

namespace Outpost.Store.Tests.Records;

/// <summary>
/// Every acknowledged findings batch survives SIGKILL, including a batch acknowledged as a repeat while its first
/// upload was still committing (the repeat finds nothing new, so it must not be answered before the first is on
/// disk). A child process (the crash worker's findings mode) uploads every batch twice at once and prints each
/// acknowledgment; the test kills it at random moments and checks every acknowledged batch is whole in records.db.
/// </summary>
public sealed class FindingsCrashTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int Kills = 6;
    private readonly string _directory = Directory.CreateTempSubdirectory("outpost-findings-crash-").FullName;

    [Fact]
    public async Task Every_acknowledged_batch_and_repeat_survives_sigkill()
    {
        var random = new Random(20261202);
        var acknowledged = 0;
        for (var kill = 0; kill < Kills; kill++)
        {
            var scanId = kill + 1;
            var batches = await RunAndKillAsync(scanId, random.Next(20, 400));
            acknowledged += batches.Count;
            output.WriteLine($"kill {kill}: {batches.Count} batches acknowledged");

            await using var database = await RecordsDatabase.OpenSqliteAsync(Path.Combine(_directory, RecordsDatabase.FileName), create: false, NullLoggerFactory.Instance);
            var stored = new HashSet<(string, int)>();
            await foreach (var f in new FindingsTable(database).ExportAsync(scanId)) stored.Add((f.Finding.Ip, f.Finding.Port));
            foreach (var batch in batches)
            {
                foreach (var f in Outpost.Store.CrashWorker.FindingsWorker.Batch(scanId, batch))
                    Assert.True(stored.Contains((f.Ip, f.Port)), $"scan {scanId}: acknowledged batch {batch} lost {f.Ip}:{f.Port}");
            }
        }

        Assert.True(acknowledged > 100, $"the children acknowledged only {acknowledged} batches in {Kills} runs");
        Assert.True(RecordsDatabase.Verify(Path.Combine(_directory, RecordsDatabase.FileName)).Sound);
    }

    /// <summary>Runs the child until it has acknowledged <paramref name="killAfterAcks"/> appends, kills it, returns the acknowledged batches.</summary>
    private async Task<HashSet<int>> RunAndKillAsync(int scanId, int killAfterAcks)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "Outpost.Store.CrashWorker.dll");
        Assert.True(File.Exists(worker), $"crash worker not built at {worker}");
        var start = new ProcessStartInfo("dotnet", [worker, "findings", _directory, scanId.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var batches = new HashSet<int>();
        var acks = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (acks < killAfterAcks && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (!line.StartsWith("ACK ", StringComparison.Ordinal)) continue;
                batches.Add(int.Parse(line.AsSpan(4), CultureInfo.InvariantCulture));
                acks++;
            }
        }
        finally
        {
            process.Kill(); // SIGKILL on Linux
            await process.WaitForExitAsync();
        }

        // Lines the child printed before it died are acknowledgments too.
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("ACK ", StringComparison.Ordinal)) batches.Add(int.Parse(line.AsSpan(4), CultureInfo.InvariantCulture));
        }

        Assert.True(acks >= killAfterAcks, $"the findings crash worker stopped after {acks} acknowledgments: {await stderr}");
        return batches;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
