using OtpNet;

namespace Outpost.Appliance.Accounts;

/// <summary>
/// The optional second factor: RFC 6238 codes (30 s, 6 digits, SHA-1, what every authenticator app reads from an
/// otpauth URI) by Otp.NET, checked on the injected clock with one step of drift either way.
/// </summary>
public sealed class TotpCodes(TimeProvider clock)
{
    public const string Issuer = "Outpost";

    /// <summary>A new 160-bit secret in base32, as authenticator apps take it.</summary>
    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));

    public static string Uri(string secret, string username) => new OtpUri(OtpType.Totp, secret, username, Issuer).ToString();

    /// <summary>The RFC 6238 time step the code belongs to, or null when it matches none within the drift allowed.</summary>
    public long? MatchingStep(string secret, string? code)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return null;
        }

        var totp = new Totp(Base32Encoding.ToBytes(secret));
        return totp.VerifyTotp(clock.GetUtcNow().UtcDateTime, code.Trim(), out var step, VerificationWindow.RfcSpecifiedNetworkDelay) ? step : null;
    }

    /// <summary>The code for now (tests act as the authenticator app with it).</summary>
    public string Current(string secret) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(clock.GetUtcNow().UtcDateTime);
}
