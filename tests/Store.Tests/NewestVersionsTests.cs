using Outpost.Store.Faster;

namespace Outpost.Store.Tests;

public class NewestVersionsTests
{
    private const long LogBegin = 3 * (1L << FasterKvTables.PageSizeBits) + 64;
    private const long RecordSpacing = 200_000;

    private sealed record LogRecord(long JobId, long Address, int Tag, bool Deleted);

    /// <summary>
    /// A log of up to three versions per job, some of them deletions, superseding records on some pages and not others, noted by two threads in a shuffled order: each
    /// id ends with its newest record's tag, and the marked pages are exactly those holding a counted (not deleted)
    /// record that a newer one superseded, which are the records the reader must take back.
    /// </summary>
    [Fact]
    public void Each_id_keeps_its_newest_record_and_only_pages_with_superseded_counted_records_are_marked()
    {
        var random = new Random(7);
        var log = new List<LogRecord>();
        for (var round = 0; round < 3; round++)
            for (var jobId = 10L; jobId < 2_010; jobId++)
                if (round == 0 || random.Next(40) == 0)
                    log.Add(new LogRecord(jobId, LogBegin + log.Count * RecordSpacing, random.Next(1 << NewestVersions.TagBits), round > 0 && random.Next(4) == 0));
        var logTail = LogBegin + log.Count * RecordSpacing;
        var newestOf = log.GroupBy(r => r.JobId).ToDictionary(g => g.Key, g => g.MaxBy(r => r.Address)!);
        using var newest = new NewestVersions(5, 3_000, LogBegin, logTail);

        var shuffled = log.OrderBy(_ => random.Next()).ToArray();
        Parallel.For(0, shuffled.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            newest.Note(shuffled[i].JobId, shuffled[i].Address, shuffled[i].Deleted ? 0 : shuffled[i].Tag, shuffled[i].Deleted));

        var live = new List<(long, int)>();
        newest.ForEachLive((jobId, tag) => live.Add((jobId, tag)));
        Assert.Equal(newestOf.Values.Where(r => !r.Deleted).OrderBy(r => r.JobId).Select(r => (r.JobId, r.Tag)), live);
        Assert.All(log, r => Assert.Equal(r != newestOf[r.JobId], newest.IsSuperseded(r.JobId, r.Address)));

        var runs = newest.SupersededRuns(LogBegin, logTail).ToList();
        var expectedPages = log.Where(r => !r.Deleted && r != newestOf[r.JobId]).Select(r => PageOf(r.Address)).ToHashSet();
        var markedPages = runs.SelectMany(run => Enumerable.Range(0, (int)(PageOf(run.To - 1) - PageOf(run.From) + 1)).Select(k => PageOf(run.From) + k)).ToHashSet();
        Assert.InRange(expectedPages.Count, 10, PageOf(logTail - 1) - PageOf(LogBegin) - 10);
        Assert.Equal(expectedPages.Order(), markedPages.Order());
        // Runs are maximal, within the range asked, and start at a page or at the range's start.
        Assert.All(runs.Zip(runs.Skip(1)), pair => Assert.True(pair.First.To < pair.Second.From));
        Assert.All(runs, run => Assert.True(run.From >= LogBegin && run.To <= logTail && run.From < run.To));
        var clipped = newest.SupersededRuns(runs[0].From + 100, logTail).First();
        Assert.Equal(runs[0].From + 100, clipped.From);
    }

    [Fact]
    public void A_log_too_long_to_address_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => new NewestVersions(1, 10, LogBegin, LogBegin + (1L << 41)));
    }

    private static long PageOf(long address) => address >> FasterKvTables.PageSizeBits;
}
