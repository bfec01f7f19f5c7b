using System.Text.Json;
using System.Text.Json.Serialization;

namespace Outpost.Probe.Capabilities.Vulnscan;

/// <summary>
/// One finding of <c>outpost-probe vulnscan --json</c> (docs/vulnscan.md):
/// <c>{"ip","port","checkId","title","severity","evidence","remediation"?,"references":[…]}</c>.
/// </summary>
public sealed record VulnscanLine(string Ip, int Port, string CheckId, string Title, string Severity, string Evidence, string? Remediation, IReadOnlyList<string> References);

/// <summary>The JSON line of one finding: camelCase, a missing remediation left out.</summary>
public static class VulnscanJson
{
    public static string Line(ServiceVulnerabilities service, VulnerabilityFinding finding)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(finding);
        return JsonSerializer.Serialize(
            new VulnscanLine(service.Ip, service.Port, finding.CheckId, finding.Title, finding.Severity, finding.Evidence, finding.Remediation, finding.References),
            VulnscanJsonContext.Default.VulnscanLine);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VulnscanLine))]
internal sealed partial class VulnscanJsonContext : JsonSerializerContext;
