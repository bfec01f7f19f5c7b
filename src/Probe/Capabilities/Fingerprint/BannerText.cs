using System.Text;

namespace Outpost.Probe.Capabilities.Fingerprint;

/// <summary>The first bytes of an unidentified service as one printable line: \r, \n, \t, \\ and \xNN escapes.</summary>
internal static class BannerText
{
    /// <summary>At most this many bytes are kept.</summary>
    public const int MaxBytes = 256;

    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(Math.Min(bytes.Length, MaxBytes) + 16);
        foreach (var b in bytes[..Math.Min(bytes.Length, MaxBytes)])
        {
            _ = b switch
            {
                (byte)'\r' => text.Append("\\r"),
                (byte)'\n' => text.Append("\\n"),
                (byte)'\t' => text.Append("\\t"),
                (byte)'\\' => text.Append("\\\\"),
                >= 0x20 and < 0x7f => text.Append((char)b),
                _ => text.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)),
            };
        }

        return text.ToString();
    }
}
