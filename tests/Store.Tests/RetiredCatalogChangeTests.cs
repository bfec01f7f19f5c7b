using System.Text;
using Outpost.Store.Faster;
using Outpost.Store.Model;

namespace Outpost.Store.Tests;

/// <summary>A write-ahead log of the version before the records database holds findings changes; replay reads them, leaves memory alone and notes them.</summary>
public sealed class RetiredCatalogChangeTests
{
    [Fact]
    public void A_findings_change_of_the_previous_version_is_read_whole_and_replay_only_notes_it()
    {
        // The shape that version wrote: FindingsAdded(ScanId, Findings) under the "findings" discriminator.
        const string Old = """
            {"t":"findings","scanId":7,"findings":[{"scanId":7,"jobId":3,"finding":{"ip":"127.0.0.1","port":22,"proto":"tcp","state":"open","ttl":64},"seenAt":"2026-11-20T10:00:00+00:00"}]}
            """;
        var change = Assert.IsType<RetiredFindingsAdded>(Catalog.Deserialize(Encoding.UTF8.GetBytes(Old)));
        Assert.Equal(7, change.ScanId);
        Assert.Equal(new StoredFinding(7, 3, new Finding("127.0.0.1", 22, "tcp", "open", 64), new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero)),
            Assert.Single(change.Findings));

        var catalog = new Catalog();
        Assert.False(catalog.ReplayedRetiredFindings);
        catalog.Apply(change);
        Assert.Empty(catalog.Scans);
        Assert.True(catalog.ReplayedRetiredFindings);
    }
}
