using System.Globalization;
using System.Net;
using System.Text.Json;
using Outpost.Probe.Guard;

namespace Outpost.Probe.Node;

/// <summary><c>/etc/outpost/probe.json</c> as written: every field optional; command-line flags override it.</summary>
internal sealed record NodeConfigFile
{
    public string? Appliance { get; init; }
    public string? ApiKey { get; init; }
    public string? ApiKeyFile { get; init; }
    public int? ClaimLimit { get; init; }
    public string? TlsFingerprint { get; init; }
    public string? Interface { get; init; }
    public string? SourceIp { get; init; }
    public string? Attribution { get; init; }
    public double? PollSeconds { get; init; }
    public int? MaxRate { get; init; }
    public int? DefaultRate { get; init; }
    public bool? InsecureHttp { get; init; }
    public bool? AllowLoopback { get; init; }
}

/// <summary>A node's resolved settings: the config file, overridden by flags, validated.</summary>
public sealed record NodeSettings
{
    public const string InstalledConfigFile = "/etc/outpost/probe.json";

    /// <summary>docs/protocol.md: the appliance caps a claim at 10 jobs.</summary>
    public const int MaxClaimLimit = 10;

    public required Uri Appliance { get; init; }

    public required string ApiKey { get; init; }

    /// <summary>How many jobs the node runs at once (and so asks for per claim).</summary>
    public int ClaimLimit { get; init; } = 1;

    public string? TlsFingerprint { get; init; }

    /// <summary>Send probes on this interface instead of the routed one.</summary>
    public string? Interface { get; init; }

    /// <summary>The local address the node calls the appliance from (what the appliance records as its source IP).</summary>
    public IPAddress? SourceIp { get; init; }

    /// <summary>The appliance's scan attribution text, sent as a header and in the user agent.</summary>
    public string? Attribution { get; init; }

    /// <summary>How often an idle node asks for work.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>What the node holds every job to: refused targets, its rate ceiling and default rate.</summary>
    public JobGuard Guard { get; init; } = new();

    /// <summary>What the flags gave; null means "not given" (false for the two switches: only the flag or the file turns them on).</summary>
    public sealed record Flags(string? Appliance, string? ApiKey, string? ApiKeyFile, int? ClaimLimit, string? TlsFingerprint, string? Interface,
        string? SourceIp, string? Attribution, double? PollSeconds, string? ConfigFile)
    {
        public int? MaxRate { get; init; }
        public int? DefaultRate { get; init; }
        public bool InsecureHttp { get; init; }
        public bool AllowLoopback { get; init; }
    }

    /// <summary>
    /// Reads the config file (the one named, which must exist, or the installed one if present), applies the flags and
    /// validates. Returns null with a sentence in <paramref name="error"/> when the node cannot start.
    /// </summary>
    public static NodeSettings? Resolve(Flags flags, out string? error)
    {
        ArgumentNullException.ThrowIfNull(flags);
        NodeConfigFile file;
        var path = flags.ConfigFile ?? InstalledConfigFile;
        try
        {
            file = File.Exists(path) || flags.ConfigFile is not null
                ? JsonSerializer.Deserialize(File.ReadAllText(path), NodeJsonContext.Default.NodeConfigFile) ?? new NodeConfigFile()
                : new NodeConfigFile();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            error = $"cannot read {path}: {ex.Message}";
            return null;
        }

        var appliance = flags.Appliance ?? file.Appliance;
        if (appliance is null || !Uri.TryCreate(appliance.EndsWith('/') ? appliance : appliance + "/", UriKind.Absolute, out var applianceUri)
            || applianceUri.Scheme is not ("http" or "https"))
        {
            error = appliance is null ? "--appliance URL is required (or \"appliance\" in the config file)." : $"'{appliance}' is not an http(s) URL.";
            return null;
        }

        // Over plain HTTP anyone on the path can read the key and hand the node work: only on the operator's word.
        if (applianceUri.Scheme == "http" && !(flags.InsecureHttp || file.InsecureHttp == true))
        {
            error = $"refused appliance URL {appliance}: plain http:// lets anyone on the path read the API key and hand this node work; "
                + "use https:// (with --tls-fingerprint for a self-signed certificate), or pass --insecure-http for a test setup.";
            return null;
        }

        var key = flags.ApiKey ?? (flags.ApiKeyFile is null ? file.ApiKey : null);
        var keyFile = flags.ApiKey is null ? flags.ApiKeyFile ?? file.ApiKeyFile : null;
        if (key is null && keyFile is not null)
        {
            try
            {
                key = File.ReadAllText(keyFile).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = $"cannot read the API key file {keyFile}: {ex.Message}";
                return null;
            }
        }

        if (string.IsNullOrWhiteSpace(key))
        {
            error = "an API key is required: --api-key KEY or --api-key-file FILE (or \"apiKey\"/\"apiKeyFile\" in the config file).";
            return null;
        }

        var claimLimit = flags.ClaimLimit ?? file.ClaimLimit ?? 1;
        if (claimLimit is < 1 or > MaxClaimLimit)
        {
            error = $"--claim-limit must be from 1 to {MaxClaimLimit}.";
            return null;
        }

        var fingerprint = flags.TlsFingerprint ?? file.TlsFingerprint;
        if (fingerprint is not null)
        {
            try
            {
                HttpScannerProtocol.ParseFingerprint(fingerprint);
            }
            catch (FormatException ex)
            {
                error = ex.Message;
                return null;
            }
        }

        IPAddress? source = null;
        var sourceText = flags.SourceIp ?? file.SourceIp;
        if (sourceText is not null && !IPAddress.TryParse(sourceText, out source))
        {
            error = $"--source-ip '{sourceText}' is not an IP address.";
            return null;
        }

        var poll = flags.PollSeconds ?? file.PollSeconds ?? 5;
        if (double.IsNaN(poll) || poll is < 0.1 or > 3600)
        {
            error = "--poll-interval must be from 0.1 to 3600 seconds.";
            return null;
        }

        var attribution = (flags.Attribution ?? file.Attribution)?.Trim();
        if (attribution is { Length: > 0 } && (attribution.Length > 256 || !attribution.All(c => c is >= ' ' and <= '~')))
        {
            error = "--attribution must be at most 256 printable ASCII characters on one line.";
            return null;
        }

        var guard = new JobGuard
        {
            AllowLoopback = flags.AllowLoopback || file.AllowLoopback == true,
            MaxRate = flags.MaxRate ?? file.MaxRate ?? JobGuard.DefaultMaxRate,
            DefaultRate = flags.DefaultRate ?? file.DefaultRate ?? JobGuard.DefaultJobRate,
        };
        if (guard.Validate() is { } guardError)
        {
            error = guardError;
            return null;
        }

        error = null;
        return new NodeSettings
        {
            Appliance = applianceUri,
            ApiKey = key.Trim(),
            ClaimLimit = claimLimit,
            TlsFingerprint = fingerprint,
            Interface = flags.Interface ?? file.Interface,
            SourceIp = source,
            Attribution = string.IsNullOrEmpty(attribution) ? null : attribution,
            PollInterval = TimeSpan.FromSeconds(poll),
            Guard = guard,
        };
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"appliance={Appliance} claim-limit={ClaimLimit} tls-pinned={TlsFingerprint is not null} interface={Interface ?? "(routed)"} attribution={Attribution ?? "(none)"} {Guard}");
}
