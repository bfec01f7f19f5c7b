using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Outpost.Store.Records.Findings;

/// <summary>
/// Where a page of a scan's findings ended: the last identity (ip, port, proto) it held. The next page starts after
/// it in key order, so a walk sees each finding exactly once even while new ones arrive. Clients get it as an opaque
/// token (base64url of the key) and must not build one.
/// </summary>
public readonly record struct FindingsCursor(string Ip, int Port, string Proto)
{
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Ip}\n{Port}\n{Proto}")));

    /// <summary>Reads a token made by <see cref="Encode"/>; false for anything else.</summary>
    public static bool TryDecode(string token, out FindingsCursor cursor)
    {
        cursor = default;
        if (token.Length > 200) return false;
        Span<byte> bytes = stackalloc byte[Base64Url.GetMaxDecodedLength(token.Length)];
        if (Base64Url.DecodeFromChars(token, bytes, out _, out var written) != System.Buffers.OperationStatus.Done) return false;
        var parts = Encoding.UTF8.GetString(bytes[..written]).Split('\n');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[2].Length == 0) return false;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var port)) return false;
        cursor = new FindingsCursor(parts[0], port, parts[2]);
        return true;
    }
}
