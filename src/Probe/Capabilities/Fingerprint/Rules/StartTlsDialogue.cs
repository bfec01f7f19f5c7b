using System.Text;
using System.Text.RegularExpressions;

namespace Outpost.Probe.Capabilities.Fingerprint.Rules;

/// <summary>
/// How a plain-text protocol is asked to continue in TLS (SMTP's STARTTLS, IMAP's STARTTLS, POP3's STLS, FTP's
/// AUTH TLS, PostgreSQL's SSLRequest): each step sends bytes and expects a reply; after the last, TLS begins.
/// </summary>
public sealed class StartTlsDialogue
{
    private StartTlsDialogue(IReadOnlyList<(byte[] Send, Regex Expect)> steps) => Steps = steps;

    public IReadOnlyList<(byte[] Send, Regex Expect)> Steps { get; }

    internal static StartTlsDialogue From(string file, StartTlsSpec spec)
    {
        if (spec.Steps.Count == 0)
        {
            throw new FormatException($"{file}: the STARTTLS dialogue for '{spec.Service}' has no steps.");
        }

        return new StartTlsDialogue([.. spec.Steps.Select(s =>
            (Encoding.Latin1.GetBytes(s.Send), RuleDatabase.Compile(file, "starttls-" + spec.Service, s.Expect)))]);
    }
}
