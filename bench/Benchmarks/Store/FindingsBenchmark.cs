using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Appliance.Admin;
using Outpost.Store.Model;
using Outpost.Store.Records;
using Outpost.Store.Records.Findings;
using Outpost.Testing;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// outpost-bench store findings [--count N] (default 10 000 000)
/// N findings uploaded through the findings store API (<see cref="FindingsTable.AppendAsync"/>: batches of 1 000, one
/// job per batch, 4 uploaders at once, each batch a durable commit), then read back as cursor pages of 1 000 and
/// exported as CSV (the daemon's own writer, into a null stream), then a checkpoint. Outpost is the embedded records
/// database (SQLite, records.db); the peer is the same schema and the same operations on PostgreSQL (the scale-out
/// backend) on a throw-away cluster in the same run. Peak RSS is the process's high-water mark after each engine.
/// </summary>
public static class FindingsBenchmark
{
    private const int Batch = 1_000;
    private const int Uploaders = 4;
    private const long ScanId = 1;

    public static async Task<int> RunAsync(string[] args)
    {
        var i = Array.IndexOf(args, "--count");
        var count = i >= 0 && i + 1 < args.Length ? long.Parse(args[i + 1], CultureInfo.InvariantCulture) : 10_000_000;
        Console.WriteLine($"findings benchmark: {count:N0} findings, batches of {Batch}, {Uploaders} uploaders, {Environment.ProcessorCount} cores");

        var directory = StoreBenchmark.TempDirectory("outpost-bench-findings");
        Directory.CreateDirectory(directory);
        Figures outpost;
        try
        {
            var path = Path.Combine(directory, RecordsDatabase.FileName);
            await using (var sqlite = await RecordsDatabase.OpenSqliteAsync(path, create: true, NullLoggerFactory.Instance))
            {
                outpost = await MeasureAsync("sqlite", sqlite, count, async () =>
                {
                    // SQLite's checkpoint: the WAL copied into the database file and truncated.
                    await sqlite.ReadAsync(async (connection, ct) =>
                    {
                        await using var command = connection.Command("PRAGMA wal_checkpoint(TRUNCATE)");
                        return await command.ExecuteNonQueryAsync(ct);
                    });
                });
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sqlite   records.db {new FileInfo(path).Length / 1048576.0:0} MB"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Figures peer;
        await using (var cluster = new PostgresCluster())
        {
            var connectionString = await cluster.StartAsync();
            await using var postgres = await RecordsDatabase.OpenPostgresAsync(connectionString, NullLoggerFactory.Instance);
            peer = await MeasureAsync("postgres", postgres, count, async () =>
            {
                await using var connection = new Npgsql.NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var command = new Npgsql.NpgsqlCommand("CHECKPOINT", connection);
                await command.ExecuteNonQueryAsync();
            });
        }

        Summary.Print("store-findings-upload", outpost.UploadPerSecond, peer.UploadPerSecond, "findings/s");
        Summary.Print("store-findings-page-walk", outpost.PagePerSecond, peer.PagePerSecond, "findings/s");
        Summary.Print("store-findings-export-csv", outpost.ExportPerSecond, peer.ExportPerSecond, "findings/s");
        Summary.Print("store-findings-checkpoint", outpost.CheckpointSeconds, peer.CheckpointSeconds, "s");
        return 0;
    }

    private sealed record Figures(double UploadPerSecond, double PagePerSecond, double ExportPerSecond, double CheckpointSeconds);

    private static async Task<Figures> MeasureAsync(string name, RecordsDatabase database, long count, Func<Task> checkpoint)
    {
        var table = new FindingsTable(database);
        var batches = (count + Batch - 1) / Batch;
        var next = -1L;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Uploaders).Select(_ => Task.Run(async () =>
        {
            long b;
            while ((b = Interlocked.Increment(ref next)) < batches)
            {
                var findings = BatchOf(b, (int)Math.Min(Batch, count - b * Batch));
                var added = await table.AppendAsync(ScanId, b + 1, findings, DateTimeOffset.UtcNow, long.MaxValue);
                if (added.Added != findings.Length) throw new InvalidOperationException($"batch {b}: {added.Added} of {findings.Length} added");
            }
        })));
        var upload = count / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-8} upload   {upload,10:0} findings/s ({clock.Elapsed.TotalSeconds:0.0} s)"));

        clock.Restart();
        long paged = 0;
        for (FindingsCursor? after = null; ;)
        {
            var page = await table.PageAsync(ScanId, after, Batch);
            paged += page.Findings.Count;
            if (page.NextCursor is null) break;
            var last = page.Findings[^1].Finding;
            after = new FindingsCursor(last.Ip, last.Port, last.Proto);
        }

        if (paged != count) throw new InvalidOperationException($"the page walk saw {paged} findings, not {count}");
        var pages = count / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-8} pages    {pages,10:0} findings/s ({clock.Elapsed.TotalSeconds:0.0} s)"));

        clock.Restart();
        var sink = new CountingStream();
        await ScanResults.WriteCsvAsync(sink, table.ExportAsync(ScanId));
        var export = count / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-8} export   {export,10:0} findings/s ({clock.Elapsed.TotalSeconds:0.0} s, {sink.Length / 1048576.0:0} MB of CSV)"));

        clock.Restart();
        await checkpoint();
        var checkpointSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-8} checkpoint {checkpointSeconds:0.000} s; process peak RSS so far {StoreBenchmark.PeakRssMegabytes():0} MB"));
        return new Figures(upload, pages, export, checkpointSeconds);
    }

    /// <summary>Batch b: 1 000 distinct identities, spread over addresses so the key order differs from upload order.</summary>
    private static Finding[] BatchOf(long b, int size)
    {
        var findings = new Finding[size];
        for (var k = 0; k < size; k++)
        {
            var n = b * Batch + k;
            var host = (uint)(n / 100 * 2654435761 % 16_777_216);
            findings[k] = new Finding(string.Create(CultureInfo.InvariantCulture, $"10.{host >> 16}.{(host >> 8) & 255}.{host & 255}"),
                (int)(n % 100) + 1, "tcp", "open", 64);
        }

        return findings;
    }

    /// <summary>Counts what the export writes and keeps none of it.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
