using System.Globalization;
using System.Text;
using Outpost.Probe.Capabilities.Fingerprint;

namespace Outpost.Probe.Capabilities.Vulnscan.Catalogue;

/// <summary>
/// Decides checks: the one home of "does this check concern this service" and "does it fire on what was seen", used
/// by the scanner's <c>vulnscan</c> capability and by the appliance, which runs the checks that need no network over
/// the fingerprints a scan uploaded (docs/vulnscan.md).
/// </summary>
public static class CheckEvaluator
{
    /// <summary>The longest text quoted from one field into a finding's evidence.</summary>
    public const int MaxQuote = 200;

    /// <summary>The check is about this service: its name is one the check lists, and TLS is as the check wants it.</summary>
    public static bool Applies(VulnCheck check, string service, bool spokeTls)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (service is ServiceNames.Closed or ServiceNames.Filtered)
        {
            return false;
        }

        return (check.Services.Count == 0 || check.Services.Contains(service, StringComparer.Ordinal)) && (check.Tls is not { } tls || tls == spokeTls);
    }

    /// <summary>
    /// The evidence (one line per matcher: the field and what it held) when every matcher holds; null when the check
    /// does not fire.
    /// </summary>
    public static string? Evaluate(VulnCheck check, Observation observation, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(observation);
        var evidence = new List<string>(check.Match.Count);
        foreach (var matcher in check.Match)
        {
            if (Holds(matcher, observation.Field(matcher.Field, now)) is not { } quote)
            {
                return null;
            }

            evidence.Add(matcher.Field + ": " + quote);
        }

        return string.Join('\n', evidence);
    }

    // What the matcher saw, quoted for the evidence, when it holds; null when it does not.
    private static string? Holds(CheckMatcher matcher, string? value)
    {
        if (matcher.Present is { } present)
        {
            return present == value is not null ? Quote(value ?? "(missing)") : null;
        }

        if (value is null)
        {
            return null;
        }

        if (matcher.Regex is { } regex)
        {
            var match = regex.Match(value);
            return match.Success ? Quote(match.Value) : null;
        }

        if (matcher.NotRegex is { } notRegex)
        {
            return notRegex.IsMatch(value) ? null : Quote(value);
        }

        if (matcher.EqualsValue is { } expected)
        {
            return string.Equals(value, expected, StringComparison.Ordinal) ? Quote(value) : null;
        }

        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }

        return (matcher.Below is not { } below || number < below) && (matcher.AtLeast is not { } atLeast || number >= atLeast) ? value : null;
    }

    // Replies may be binary (TLS, SMB): quoted as one printable line, as banners are.
    private static string Quote(string value) => BannerText.Escape(Encoding.Latin1.GetBytes(value.Length > MaxQuote ? value[..MaxQuote] : value));
}
