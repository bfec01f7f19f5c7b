using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Outpost.Probe.Capabilities.Fingerprint;

/// <summary>The JSON line of one fingerprint (docs/fingerprint.md): camelCase, nulls and an empty CPE list left out.</summary>
public static class FingerprintJson
{
    /// <summary>Options for <see cref="ServiceFingerprint"/> and its parts; pass to JsonSerializer or an HTTP client.</summary>
    public static JsonSerializerOptions Options { get; } = new(FingerprintJsonContext.Default.Options)
    {
        TypeInfoResolver = FingerprintJsonContext.Default.WithAddedModifier(OmitEmptyCpe),
    };

    /// <summary>One line of JSON, no trailing newline.</summary>
    public static string Serialize(ServiceFingerprint fingerprint) =>
        JsonSerializer.Serialize(fingerprint, (JsonTypeInfo<ServiceFingerprint>)Options.GetTypeInfo(typeof(ServiceFingerprint)));

    public static ServiceFingerprint? Deserialize(string json) =>
        JsonSerializer.Deserialize(json, (JsonTypeInfo<ServiceFingerprint>)Options.GetTypeInfo(typeof(ServiceFingerprint)));

    private static void OmitEmptyCpe(JsonTypeInfo info)
    {
        if (info.Type != typeof(ServiceFingerprint))
        {
            return;
        }

        foreach (var property in info.Properties)
        {
            if (property.Name == "cpe")
            {
                property.ShouldSerialize = static (_, value) => value is IReadOnlyList<string> { Count: > 0 };
            }
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ServiceFingerprint))]
internal sealed partial class FingerprintJsonContext : JsonSerializerContext;
