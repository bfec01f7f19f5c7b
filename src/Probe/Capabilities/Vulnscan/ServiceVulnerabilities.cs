namespace Outpost.Probe.Capabilities.Vulnscan;

/// <summary>
/// What the <c>vulnscan</c> capability learnt about one service (docs/capabilities.md): every check it ran there
/// (so the appliance can tell a vulnerability that is gone from one that was not looked for) and the ones that fired.
/// </summary>
public sealed record ServiceVulnerabilities : CapabilityResult
{
    /// <summary>Ids of the checks that ran to a verdict on this service, fired or not.</summary>
    public required IReadOnlyList<string> CheckIds { get; init; }

    public required IReadOnlyList<VulnerabilityFinding> Found { get; init; }
}

/// <summary>A check that fired: the catalogue's words for it and what was seen.</summary>
/// <param name="CheckId">The catalogue id of the check.</param>
/// <param name="Title">The check's title.</param>
/// <param name="Severity">info, low, medium, high or critical.</param>
/// <param name="Evidence">One line per matcher: the field and what it held.</param>
/// <param name="Remediation">What to do about it, in the catalogue's words.</param>
/// <param name="References">Where to read more.</param>
public sealed record VulnerabilityFinding(string CheckId, string Title, string Severity, string Evidence, string? Remediation, IReadOnlyList<string> References);
