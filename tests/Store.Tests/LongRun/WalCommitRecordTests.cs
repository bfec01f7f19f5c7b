using System.Buffers.Binary;
using FASTER.core;
using Outpost.Store.Faster;

namespace Outpost.Store.Tests.LongRun;

/// <summary>
/// The write-ahead log's commit record (<c>wal/wal.commit</c>, docs/store-operations.md): two slots rewritten in turn,
/// so a crash in the middle of one leaves the other, and data directories from before it still open.
/// </summary>
public sealed class WalCommitRecordTests
{
    [Fact]
    public async Task A_commit_record_torn_by_a_crash_falls_back_to_the_one_before_and_loses_nothing_acknowledged()
    {
        await using var temp = await TempStore.OpenAsync();
        var scanner = await temp.ScannerAsync();
        for (var scan = 0; scan < 20; scan++) await temp.ScanAsync(100, scanner);

        await temp.CrashAndReopenAsync(TearNewerSlot);

        Assert.Equal(2000, temp.Store.Recovery.Jobs);
    }

    /// <summary>
    /// Before the commit record, FASTER kept each commit as its own file in <c>wal/log-commits/</c>. Such a directory
    /// opens with everything in it, and the first commit afterwards moves the record into <c>wal/wal.commit</c>.
    /// </summary>
    [Fact]
    public async Task A_data_directory_with_the_earlier_commit_files_opens_whole_and_moves_to_the_commit_record()
    {
        await using var temp = await TempStore.OpenAsync();
        var scanner = await temp.ScannerAsync();
        await temp.ScanAsync(500, scanner);

        await temp.CrashAndReopenAsync(WriteAsEarlierVersion);
        Assert.Equal(500, temp.Store.Recovery.Jobs);
        await temp.ScanAsync(10, scanner);
        var wal = Path.Combine(temp.Directory, "wal");
        Assert.False(Directory.Exists(Path.Combine(wal, "log-commits")), "the earlier commit files outlived the first commit recorded in wal.commit");
        Assert.True(File.Exists(Path.Combine(wal, WalCommitRecord.FileName)));

        await temp.CrashAndReopenAsync();
        Assert.Equal(510, temp.Store.Recovery.Jobs);
    }

    /// <summary>A write torn by a crash: the newer slot's bytes no longer match its checksum.</summary>
    private static void TearNewerSlot(string directory)
    {
        var path = Path.Combine(directory, "wal", WalCommitRecord.FileName);
        var bytes = File.ReadAllBytes(path);
        var newer = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(4)) > BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(4096 + 4)) ? 0 : 1;
        bytes[(newer * 4096) + 20] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Replaces the commit record with what the version before it wrote: FASTER's file for the same commit.</summary>
    private static void WriteAsEarlierVersion(string directory)
    {
        var wal = Path.Combine(directory, "wal");
        long commit;
        byte[] metadata;
        using (var record = new WalCommitRecord(wal, logHasEntries: true))
        {
            commit = record.ListCommits().First();
            metadata = record.GetCommitMetadata(commit);
        }
        File.Delete(Path.Combine(wal, WalCommitRecord.FileName));
        using var earlier = new DeviceLogCommitCheckpointManager(new LocalStorageNamedDeviceFactory(), new DefaultCheckpointNamingScheme(wal));
        earlier.Commit(0, 0, metadata, commit, forceWriteMetadata: true);
        Assert.Single(Directory.GetFiles(Path.Combine(wal, "log-commits")));
    }
}
