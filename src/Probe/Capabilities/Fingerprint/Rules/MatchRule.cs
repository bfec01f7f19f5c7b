using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Outpost.Probe.Capabilities.Fingerprint.Rules;

/// <summary>
/// One matcher: a regular expression over a reply and the service, product, version and CPE it implies. Product,
/// version and CPE may refer to the expression's groups ($1, ${name}); a group that did not match leaves the
/// version out and trims the CPE to what is known.
/// </summary>
public sealed class MatchRule
{
    private readonly Regex _pattern;
    private readonly FrozenSet<string> _probes;

    private MatchRule(MatchSpec spec, Regex pattern)
    {
        Id = spec.Id;
        Service = spec.Service;
        Product = spec.Product;
        Version = spec.Version;
        Cpe = spec.Cpe;
        Fallback = spec.Fallback;
        UpgradeToTls = spec.Upgrade == "tls";
        Sample = spec.Sample;
        _pattern = pattern;
        _probes = spec.Probes.ToFrozenSet(StringComparer.Ordinal);
    }

    public string Id { get; }

    public string Service { get; }

    public string? Product { get; }

    public string? Version { get; }

    public IReadOnlyList<string> Cpe { get; }

    /// <summary>
    /// A weak match (e.g. "some HTTP server"): it loses to any specific rule, on any probe's reply, and does not end
    /// the race of probes. A specific rule's match ends it.
    /// </summary>
    public bool Fallback { get; }

    /// <summary>The reply means "speak TLS to me": the engine continues inside TLS and identifies from there.</summary>
    public bool UpgradeToTls { get; }

    /// <summary>The rule's sample reply (Latin-1 text, one char per byte).</summary>
    public string Sample { get; }

    /// <summary>Probe ids whose replies this rule reads; empty means all.</summary>
    public IReadOnlySet<string> Probes => _probes;

    /// <summary>Whether this rule reads replies to <paramref name="probeId"/>.</summary>
    public bool Reads(string probeId) => _probes.Count == 0 || _probes.Contains(probeId);

    /// <summary>The identification <paramref name="reply"/> implies, or null when the rule does not match it.</summary>
    public RuleMatch? TryMatch(string reply)
    {
        Match match;
        try
        {
            match = _pattern.Match(reply);
        }
        catch (RegexMatchTimeoutException)
        {
            // A reply crafted (or unlucky enough) to make the expression backtrack for long is simply not this service.
            return null;
        }

        if (!match.Success)
        {
            return null;
        }

        var cpe = new List<string>(Cpe.Count);
        foreach (var template in Cpe)
        {
            cpe.Add(match.Result(template).TrimEnd(':'));
        }

        return new RuleMatch(this, Service, Expand(match, Product), Expand(match, Version), cpe);
    }

    internal static MatchRule From(string file, MatchSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Id) || string.IsNullOrWhiteSpace(spec.Service) || string.IsNullOrEmpty(spec.Match))
        {
            throw new FormatException($"{file}: rule '{spec.Id}' needs an id, a service and a match expression.");
        }

        if (!string.Equals(spec.Service, spec.Service.ToLowerInvariant(), StringComparison.Ordinal))
        {
            throw new FormatException($"{file}: rule '{spec.Id}' names service '{spec.Service}'; service names are lower case.");
        }

        if (spec.Upgrade is not (null or "tls"))
        {
            throw new FormatException($"{file}: rule '{spec.Id}' upgrades to '{spec.Upgrade}'; only 'tls' is known.");
        }

        if (spec.Sample.Length == 0)
        {
            throw new FormatException($"{file}: rule '{spec.Id}' has no sample reply.");
        }

        return new MatchRule(spec, RuleDatabase.Compile(file, spec.Id, spec.Match));
    }

    private static string? Expand(Match match, string? template)
    {
        if (template is null)
        {
            return null;
        }

        var value = match.Result(template).Trim();
        return value.Length == 0 ? null : value;
    }
}

/// <summary>What a rule concluded from a reply.</summary>
public sealed record RuleMatch(MatchRule Rule, string Service, string? Product, string? Version, IReadOnlyList<string> Cpe);
