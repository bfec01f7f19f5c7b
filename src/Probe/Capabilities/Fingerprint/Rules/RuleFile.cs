namespace Outpost.Probe.Capabilities.Fingerprint.Rules;

// The YAML shape of one rule file, as written by hand (docs/fingerprint.md). Byte strings (send, sample) are YAML
// double-quoted strings whose characters are bytes (Latin-1: "\x00".."\xff"); patterns are .NET regular expressions
// over the reply read the same way. RuleDatabase turns these into the checked, compiled form the engine uses.

/// <summary>One rule file: probes, matchers, STARTTLS dialogues and TLS service names, any of them optional.</summary>
internal sealed class RuleFile
{
    public List<ProbeSpec> Probes { get; set; } = [];

    public List<MatchSpec> Rules { get; set; } = [];

    public List<StartTlsSpec> StartTls { get; set; } = [];

    /// <summary>Name of a service when it runs inside TLS (http → https).</summary>
    public Dictionary<string, string> TlsNames { get; set; } = [];
}

internal sealed class ProbeSpec
{
    public string Id { get; set; } = "";

    /// <summary>Bytes to send; empty means "send nothing, wait for the service to speak first".</summary>
    public string Send { get; set; } = "";

    /// <summary>Not a payload but a TLS handshake; the other probes then run inside the session.</summary>
    public bool Tls { get; set; }

    /// <summary>Ports where this probe is tried first.</summary>
    public List<int> Ports { get; set; } = [];

    /// <summary>Ports where this probe is tried first inside TLS.</summary>
    public List<int> TlsPorts { get; set; } = [];

    /// <summary>Tried first inside TLS on ports no probe lists in tlsPorts (most TLS services are HTTPS).</summary>
    public bool TlsDefault { get; set; }

    /// <summary>Races from the start on ports without a hint; the others join once the banner wait had its moment.</summary>
    public bool Eager { get; set; }

    /// <summary>Read the reply until the server closes (HTTP with Connection: close), up to the read limit.</summary>
    public bool ReadToEnd { get; set; }

    /// <summary>Probe order on ports without a hint: lower first.</summary>
    public int Order { get; set; } = 100;
}

internal sealed class MatchSpec
{
    public string Id { get; set; } = "";

    /// <summary>Probes whose replies this rule reads; empty means any probe's.</summary>
    public List<string> Probes { get; set; } = [];

    public string Service { get; set; } = "";

    public string Match { get; set; } = "";

    public string? Product { get; set; }

    public string? Version { get; set; }

    public List<string> Cpe { get; set; } = [];

    /// <summary>"tls": the reply says the port wants TLS (plain HTTP sent to an HTTPS port); continue inside TLS.</summary>
    public string? Upgrade { get; set; }

    /// <summary>Consulted only when no specific rule matched (e.g. "any HTTP response").</summary>
    public bool Fallback { get; set; }

    /// <summary>A reply this rule must match (and no other rule of its tier may).</summary>
    public string Sample { get; set; } = "";
}

internal sealed class StartTlsSpec
{
    public string Service { get; set; } = "";

    public List<StepSpec> Steps { get; set; } = [];
}

internal sealed class StepSpec
{
    public string Send { get; set; } = "";

    public string Expect { get; set; } = "";
}
