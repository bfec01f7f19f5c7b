using System.Security.Cryptography;
using System.Text;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// The admin secret: bearer token for automation and the web UI's login secret. From <c>OUTPOST_ADMIN_TOKEN</c>, else
/// read from (or generated on first start into) <c>&lt;data-dir&gt;/admin-token</c>, readable by the owner only. Only its
/// hash is kept in memory; a candidate is compared by hash in constant time.
/// </summary>
public sealed partial class AdminToken
{
    public const string EnvironmentVariable = "OUTPOST_ADMIN_TOKEN";
    public const string FileName = "admin-token";

    /// <summary>An admin token shorter than this is refused at start: it is an admin bearer credential, not a password.</summary>
    public const int MinLength = 32;

    private readonly byte[] _hash;

    private AdminToken(string token) => _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static AdminToken Load(string? fromEnvironment, string dataDirectory, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            var given = fromEnvironment.Trim();
            if (given.Length < MinLength)
            {
                throw new InvalidOperationException(
                    $"{EnvironmentVariable} is {given.Length} characters long; an admin token needs at least {MinLength} (e.g. openssl rand -base64 32).");
            }

            LogFromEnvironment(logger, EnvironmentVariable);
            return new AdminToken(given);
        }

        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            var stored = File.ReadAllText(path).Trim();
            if (stored.Length > 0)
            {
                LogFromFile(logger, path);
                return new AdminToken(stored);
            }
        }

        var token = Secrets.NewToken();
        Directory.CreateDirectory(dataDirectory);
        Secrets.WriteOwnerOnly(path, token + "\n");
        LogGenerated(logger, path);
        return new AdminToken(token);
    }

    public bool Matches(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate))
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(candidate), hash);
        return CryptographicOperations.FixedTimeEquals(hash, _hash);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin token taken from {Variable}")]
    private static partial void LogFromEnvironment(ILogger logger, string variable);

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin token read from {Path}")]
    private static partial void LogFromFile(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Generated a new admin token into {Path} (mode 0600); use it to log in")]
    private static partial void LogGenerated(ILogger logger, string path);
}

/// <summary>Random secrets and owner-only files, shared by the admin token, API keys, sessions and the TLS key.</summary>
public static class Secrets
{
    /// <summary>256 random bits, URL-safe base64 without padding.</summary>
    public static string NewToken(string prefix = "")
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return prefix + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Writes a new file with mode 0600 from the start, so the secret is never readable by others, not even briefly.</summary>
    public static void WriteOwnerOnly(string path, string contents)
    {
        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            writer.Write(contents);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
