using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;

namespace Outpost.Store.Tests;

public sealed class WriteAheadLogTests : IDisposable
{
    private const int Commits = 3000;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "outpost-wal-" + Guid.NewGuid().ToString("N"));

    /// <summary>
    /// The log writes its commit metadata file only every so many group commits; recovery starts at the newest file and
    /// scans the log forward for the commits after it. Three thousand entries, each committed alone, must all read back
    /// after the log is reopened, in order, and the newest metadata file must predate the last commit: otherwise this
    /// test would not cover the forward scan it is about.
    /// </summary>
    [Fact]
    public async Task Every_committed_entry_reads_back_when_the_newest_commits_are_past_the_last_metadata_file()
    {
        var options = TempStore.Options(_directory);
        var entry = new byte[8];
        await using (var wal = new WriteAheadLog(_directory, options, NullLogger.Instance))
        {
            for (var i = 0; i < Commits; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(entry, i);
                await wal.WaitCommittedAsync(wal.Append(entry), CancellationToken.None);
            }
        }
        var metadataFiles = Directory.GetFiles(Path.Combine(_directory, "log-commits"));
        Assert.NotEmpty(metadataFiles);
        // FASTER names them commit.<commit number>.<segment>.
        Assert.All(metadataFiles, file => Assert.True(long.Parse(Path.GetFileName(file).Split('.')[1]) < Commits - 1,
            $"{file} was written at the last commit: recovery would not scan forward"));

        await using (var reopened = new WriteAheadLog(_directory, options, NullLogger.Instance))
        {
            var read = 0;
            using var iterator = reopened.Scan(reopened.BeginAddress);
            while (iterator.GetNext(MemoryPool<byte>.Shared, out var owner, out var length, out _))
            {
                using (owner)
                {
                    Assert.Equal(8, length);
                    Assert.Equal(read, BinaryPrimitives.ReadInt64LittleEndian(owner.Memory.Span));
                }
                read++;
            }
            Assert.Equal(Commits, read);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}
