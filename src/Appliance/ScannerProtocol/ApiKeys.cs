using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Outpost.Appliance.Hosting;

namespace Outpost.Appliance.ScannerProtocol;

/// <summary>
/// Scanner API keys: 256 random bits, shown once, stored only as their SHA-256. A key is long and random, so a plain
/// hash (no salt, no stretching) is enough: nothing about it can be guessed, and lookup by hash stays O(1).
/// </summary>
public static class ApiKeys
{
    private const string Prefix = "osk_";

    // Keys this daemon issues are 47 characters; anything far longer is not a key and is not worth hashing.
    private const int MaxKeyLength = 256;

    public static (string Key, byte[] Hash) Create()
    {
        var key = Secrets.NewToken(Prefix);
        return (key, SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>Hashes a presented key into <paramref name="hash"/> (32 bytes) without allocating; false if it cannot be a key.</summary>
    /// <remarks>HOT PATH (every scanner request). The buffer is written before it is read, so it is not zeroed first.</remarks>
    [SkipLocalsInit]
    public static bool TryHash(ReadOnlySpan<char> key, Span<byte> hash)
    {
        if (key.IsEmpty || key.Length > MaxKeyLength)
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        var length = Encoding.UTF8.GetBytes(key, utf8);
        SHA256.HashData(utf8[..length], hash);
        return true;
    }
}
