namespace Outpost.Probe.Capabilities;

/// <summary>
/// A typed finding of a capability other than the port scan, as the scanner uploads it (docs/capabilities.md). The
/// runner batches results of one kind together; each kind travels in its own field or upload.
/// </summary>
public abstract record CapabilityResult
{
    /// <summary>The address of the service the finding is about.</summary>
    public required string Ip { get; init; }

    public required int Port { get; init; }
}

/// <summary>One page of a crawl: where it was, what answered and what forms it holds.</summary>
public sealed record CrawledPage : CapabilityResult
{
    public required string Url { get; init; }

    /// <summary>Links followed from the start page to reach it (the start page is 0).</summary>
    public required int Depth { get; init; }

    /// <summary>The HTTP status; 0 when the request failed (then <see cref="Error"/> says why).</summary>
    public required int Status { get; init; }

    public string? Title { get; init; }

    public string? ContentType { get; init; }

    public IReadOnlyList<PageForm> Forms { get; init; } = [];

    public string? Error { get; init; }
}

/// <summary>A form on a crawled page: where it posts, how, and the names of its inputs.</summary>
public sealed record PageForm(string Action, string Method, IReadOnlyList<string> Inputs);

/// <summary>A rendered web service: one PNG per URL.</summary>
public sealed record ServiceScreenshot : CapabilityResult
{
    public required string Url { get; init; }

    /// <summary>The PNG bytes, at most the job's size cap.</summary>
    public required byte[] Png { get; init; }
}
