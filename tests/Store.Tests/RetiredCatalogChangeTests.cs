using System.Text;
using Outpost.Store.Faster;

namespace Outpost.Store.Tests;

/// <summary>A write-ahead log of the version before the records database holds findings changes; replay reads and ignores them.</summary>
public sealed class RetiredCatalogChangeTests
{
    [Fact]
    public void A_findings_change_of_the_previous_version_is_read_and_replay_ignores_it()
    {
        // The shape that version wrote: FindingsAdded(ScanId, Findings) under the "findings" discriminator.
        const string Old = """
            {"t":"findings","scanId":7,"findings":[{"scanId":7,"jobId":3,"finding":{"ip":"127.0.0.1","port":22,"proto":"tcp","state":"open","ttl":64},"seenAt":"2026-11-20T10:00:00+00:00"}]}
            """;
        var change = Catalog.Deserialize(Encoding.UTF8.GetBytes(Old));
        Assert.IsType<RetiredFindingsAdded>(change);

        var catalog = new Catalog();
        catalog.Apply(change);
        Assert.Empty(catalog.Scans);
    }
}
