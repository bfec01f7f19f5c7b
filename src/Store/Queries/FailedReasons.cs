using System.Text.RegularExpressions;

namespace Outpost.Store.Queries;

/// <summary>
/// Groups similar failures for the Jobs page's Failed Reasons filter: the parts of an error message that vary
/// from job to job — addresses, numbers, ids, quoted values — are masked, so "connect to 10.0.0.5:22 timed out
/// after 3000 ms" and "connect to 10.0.0.9:80 timed out after 2500 ms" are one reason.
/// </summary>
public static partial class FailedReasons
{
    public const string Unknown = "unknown error";

    public static string Normalize(string? errorMessage)
    {
        if (string.IsNullOrWhiteSpace(errorMessage)) return Unknown;
        var text = errorMessage.Trim();
        if (text.Length > 300) text = text[..300];
        text = Quoted().Replace(text, "\"…\"");
        text = Ipv6().Replace(text, "<ip>");
        text = Ipv4().Replace(text, "<ip>");
        text = Hex().Replace(text, "<hex>");
        text = Number().Replace(text, "<n>");
        return Spaces().Replace(text, " ");
    }

    [GeneratedRegex(@"""[^""]*""|'[^']*'")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{0,4}\b")]
    private static partial Regex Ipv6();

    [GeneratedRegex(@"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?::\d+)?\b")]
    private static partial Regex Ipv4();

    [GeneratedRegex(@"\b0x[0-9a-fA-F]+\b|\b[0-9a-fA-F]{8,}\b")]
    private static partial Regex Hex();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Number();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
