namespace Outpost.Probe.Capabilities.Crawler;

/// <summary>The bounds of one crawl (per web service of a job); docs/capabilities.md lists the defaults.</summary>
public sealed record CrawlerOptions
{
    /// <summary>Links followed from the start page at most (the start page is depth 0).</summary>
    public int MaxDepth { get; init; } = 3;

    /// <summary>Pages fetched per service at most.</summary>
    public int MaxPages { get; init; } = 100;

    /// <summary>Time spent on one service at most; the crawl stops where it is when it runs out.</summary>
    public TimeSpan MaxTime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Timeout of one request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes of a page body read at most; longer pages are parsed up to here.</summary>
    public int MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Services crawled at once within a job.</summary>
    public int Parallelism { get; init; } = 4;
}
