using System.Text.Json;
using Outpost.Store.Records.Vulnerabilities;

namespace Outpost.Appliance.Vulnerabilities;

/// <summary>
/// The ledger as a SARIF 2.1.0 log (OASIS Static Analysis Results Interchange Format), for tools that collect findings
/// from many scanners. One run; a rule per check (its title, remediation as help, references, and a
/// <c>security-severity</c> score code-scanning dashboards sort by); a result per vulnerability, located at
/// <c>tcp://ip:port/</c> with a stable fingerprint (check, ip, port). A fixed vulnerability is a <c>pass</c> result; an
/// accepted one carries an external, accepted suppression with the operator's note as justification.
///
/// Written as it streams: results first, then the tool with the rules the results named (JSON objects are unordered,
/// and a catalogue's worth of rules is small), so the export holds one chunk of rows in memory, never the set.
/// </summary>
public static class SarifExport
{
    public const string ContentType = "application/sarif+json";
    public const string SchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";

    /// <summary>The fingerprint's name: its version says how it is computed, so a later change can add <c>/v2</c>.</summary>
    public const string FingerprintName = "outpostVulnerability/v1";

    private const int FlushBytes = 64 * 1024;

    public static async Task WriteAsync(Stream body, IAsyncEnumerable<StoredVulnerability> rows, CancellationToken ct)
    {
        await using var json = new Utf8JsonWriter(body);
        var rules = new Dictionary<string, StoredVulnerability>(StringComparer.Ordinal);
        json.WriteStartObject();
        json.WriteString("$schema", SchemaUri);
        json.WriteString("version", "2.1.0");
        json.WriteStartArray("runs");
        json.WriteStartObject();
        json.WriteStartArray("results");
        await foreach (var v in rows.WithCancellation(ct))
        {
            rules.TryAdd(v.CheckId, v);
            WriteResult(json, v);
            if (json.BytesPending >= FlushBytes)
            {
                await json.FlushAsync(ct);
            }
        }

        json.WriteEndArray();
        json.WriteStartObject("tool");
        json.WriteStartObject("driver");
        json.WriteString("name", "Outpost");
        json.WriteStartArray("rules");
        foreach (var rule in rules.Values)
        {
            WriteRule(json, rule);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(ct);
    }

    /// <summary>SARIF's level for a severity: what a build or dashboard treats as an error, a warning or a note.</summary>
    public static string Level(string severity) => severity switch
    {
        VulnerabilitySeverity.Critical or VulnerabilitySeverity.High => "error",
        VulnerabilitySeverity.Medium => "warning",
        _ => "note",
    };

    /// <summary>The CVSS-like score (0–10, as text) that GitHub code scanning reads from <c>security-severity</c> to rank alerts.</summary>
    public static string SecuritySeverity(string severity) => severity switch
    {
        VulnerabilitySeverity.Critical => "9.5",
        VulnerabilitySeverity.High => "8.0",
        VulnerabilitySeverity.Medium => "5.5",
        VulnerabilitySeverity.Low => "2.0",
        _ => "0.0",
    };

    /// <summary>Where a vulnerability is: the service as a URI (an IPv6 address in brackets).</summary>
    public static string Location(string ip, int port) => ip.Contains(':', StringComparison.Ordinal) ? $"tcp://[{ip}]:{port}/" : $"tcp://{ip}:{port}/";

    private static void WriteResult(Utf8JsonWriter json, StoredVulnerability v)
    {
        var isFixed = v.Status == VulnerabilityStatus.Fixed;
        json.WriteStartObject();
        json.WriteString("ruleId", v.CheckId);
        json.WriteString("kind", isFixed ? "pass" : "fail");
        json.WriteString("level", isFixed ? "none" : Level(v.Severity));
        json.WriteStartObject("message");
        json.WriteString("text", $"{v.Title} on {v.Ip}:{v.Port}: {v.Evidence}");
        json.WriteEndObject();
        json.WriteStartArray("locations");
        json.WriteStartObject();
        json.WriteStartObject("physicalLocation");
        json.WriteStartObject("artifactLocation");
        json.WriteString("uri", Location(v.Ip, v.Port));
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartObject("partialFingerprints");
        json.WriteString(FingerprintName, $"{v.CheckId}|{v.Ip}|{v.Port}");
        json.WriteEndObject();
        if (v.Status == VulnerabilityStatus.Accepted)
        {
            json.WriteStartArray("suppressions");
            json.WriteStartObject();
            json.WriteString("kind", "external");
            json.WriteString("status", "accepted");
            json.WriteString("justification", v.Note ?? "");
            json.WriteEndObject();
            json.WriteEndArray();
        }

        json.WriteStartObject("properties");
        json.WriteNumber("id", v.Id);
        json.WriteString("severity", v.Severity);
        json.WriteString("status", v.Status);
        json.WriteString("firstSeen", v.FirstSeen);
        json.WriteString("lastSeen", v.LastSeen);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteRule(Utf8JsonWriter json, StoredVulnerability v)
    {
        json.WriteStartObject();
        json.WriteString("id", v.CheckId);
        json.WriteStartObject("shortDescription");
        json.WriteString("text", v.Title);
        json.WriteEndObject();
        if (v.Remediation is { Length: > 0 } remediation)
        {
            json.WriteStartObject("help");
            json.WriteString("text", remediation);
            json.WriteEndObject();
        }

        if (v.References.FirstOrDefault(r => Uri.TryCreate(r, UriKind.Absolute, out _)) is { } helpUri)
        {
            json.WriteString("helpUri", helpUri);
        }

        json.WriteStartObject("defaultConfiguration");
        json.WriteString("level", Level(v.Severity));
        json.WriteEndObject();
        json.WriteStartObject("properties");
        json.WriteString("security-severity", SecuritySeverity(v.Severity));
        json.WriteStartArray("tags");
        json.WriteStringValue("security");
        json.WriteEndArray();
        json.WriteStartArray("references");
        foreach (var reference in v.References)
        {
            json.WriteStringValue(reference);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
