using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Model;
using Outpost.Store.Records;
using Outpost.Store.Records.Findings;

namespace Outpost.Store.CrashWorker;

/// <summary>
/// The findings' crash child: appends batches to the records database at <c>&lt;data-dir&gt;/records.db</c>, every
/// batch twice at once (the scanner retrying while its first upload is still being committed), and prints
/// <c>ACK &lt;batch&gt;</c> once per acknowledged append, only after it was acknowledged. Batch b of scan s is
/// 20 findings: address 10.&lt;s&gt;.&lt;b / 250&gt;.&lt;b % 250&gt;, ports 1–20.
/// </summary>
public static class FindingsWorker
{
    public const int PortsPerBatch = 20;

    public static async Task RunAsync(string directory, int seed)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, RecordsDatabase.FileName);
        await using var database = await RecordsDatabase.OpenSqliteAsync(path, create: true, NullLoggerFactory.Instance);
        var table = new FindingsTable(database);
        // A new scan id per run, so batches of earlier runs (already checked) never mask this run's.
        var scanId = seed;
        var gate = new Lock();
        var next = -1;
        Console.Out.WriteLine($"READY {scanId}");
        Console.Out.Flush();

        async Task WorkAsync()
        {
            while (true)
            {
                var batch = Interlocked.Increment(ref next);
                var findings = Batch(scanId, batch);
                // The same batch twice at once: each acknowledgment must mean the batch is on disk.
                var first = AppendAsync(table, scanId, batch, findings, gate);
                var repeat = AppendAsync(table, scanId, batch, findings, gate);
                await Task.WhenAll(first, repeat);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(WorkAsync)));
    }

    public static Finding[] Batch(long scanId, int batch) =>
        [.. Enumerable.Range(1, PortsPerBatch).Select(port => new Finding(string.Create(CultureInfo.InvariantCulture,
            $"10.{scanId % 250}.{batch / 250}.{batch % 250}"), port, "tcp", "open", 64))];

    private static async Task AppendAsync(FindingsTable table, long scanId, int batch, Finding[] findings, Lock gate)
    {
        await table.AppendAsync(scanId, jobId: batch + 1, findings, DateTimeOffset.UtcNow, maxPerJob: long.MaxValue);
        lock (gate)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ACK {batch}"));
            Console.Out.Flush();
        }
    }
}
