using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Outpost.Probe.Capabilities.Fingerprint;

/// <summary>Status, title, Server and Location of an HTTP response read as Latin-1 text (one char per byte).</summary>
internal static partial class HttpResponseFacts
{
    /// <summary>The facts, or null when <paramref name="reply"/> does not start with an HTTP status line.</summary>
    public static HttpFacts? Parse(string reply)
    {
        var status = StatusLine().Match(reply);
        if (!status.Success)
        {
            return null;
        }

        var end = reply.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = end < 0 ? reply : reply[..end];
        var body = end < 0 ? "" : reply[(end + 4)..];
        return new HttpFacts
        {
            Status = int.Parse(status.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture),
            Server = Header(head, "Server"),
            Location = Header(head, "Location"),
            Title = Title(body),
        };
    }

    private static string? Header(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return Utf8(line[(colon + 1)..].Trim());
            }
        }

        return null;
    }

    private static string? Title(string body)
    {
        var match = TitleElement().Match(body);
        if (!match.Success)
        {
            return null;
        }

        var title = Whitespace().Replace(WebUtility.HtmlDecode(Utf8(match.Groups[1].Value)), " ").Trim();
        return title.Length == 0 ? null : title;
    }

    // Replies are read one char per byte so rules can match binary protocols; text meant for people is UTF-8.
    private static string Utf8(string latin1) => Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(latin1));

    [GeneratedRegex(@"\AHTTP/\d(?:\.\d)? (\d{3})", RegexOptions.CultureInvariant, 250)]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"<title[^>]*>(.*?)</title>", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant, 250)]
    private static partial Regex TitleElement();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant, 250)]
    private static partial Regex Whitespace();
}
