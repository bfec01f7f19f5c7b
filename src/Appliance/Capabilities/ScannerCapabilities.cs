using Outpost.Appliance.Contracts;
using Outpost.Probe.Capabilities;
using Outpost.Store.Model;

namespace Outpost.Appliance.Capabilities;

/// <summary>
/// The appliance's rules about capabilities (docs/capabilities.md), in one place: which job names a scan may ask for
/// (the probe's registry), what a heartbeat may advertise, and which jobs a scanner is handed — those of the
/// capabilities it advertised, or port scans alone for a scanner that never said (one older than capabilities).
/// </summary>
public static class ScannerCapabilities
{
    public const int MaxAdvertised = 32;
    public const int MaxNameLength = 32;
    public const int MaxVersionLength = 64;

    private static readonly string[] PortscanOnly = [ScanSpec.DefaultCapability];

    /// <summary>The job names an admin may create scans of.</summary>
    public static IReadOnlyList<string> Known => CapabilityRegistry.JobNames;

    /// <summary>
    /// The job names a claim by <paramref name="scanner"/> may hand out. Called on every claim: it allocates one small
    /// array for a scanner that advertised capabilities and nothing for one that did not.
    /// </summary>
    public static IReadOnlyList<string> JobNames(Store.Model.Scanner scanner)
    {
        ArgumentNullException.ThrowIfNull(scanner);
        if (scanner.Capabilities is not { } advertised)
        {
            return PortscanOnly;
        }

        var names = new string[advertised.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = advertised[i].Name;
        }

        return names;
    }

    public static bool CanRun(Store.Model.Scanner scanner, string capability)
    {
        foreach (var name in JobNames(scanner))
        {
            if (name == capability)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A scanner's capabilities as the admin API shows them.</summary>
    public static IReadOnlyList<CapabilityResponse> Describe(Store.Model.Scanner scanner)
    {
        ArgumentNullException.ThrowIfNull(scanner);
        return scanner.Capabilities is { } advertised
            ? [.. advertised.Select(c => new CapabilityResponse(c.Name, c.Version))]
            : [new CapabilityResponse(ScanSpec.DefaultCapability, "")];
    }

    /// <summary>
    /// Reads a heartbeat's capabilities: null (and no error) when it names none, which leaves the stored ones; or the
    /// list; or an error for a 400.
    /// </summary>
    public static IReadOnlyList<ScannerCapability>? Parse(IReadOnlyList<string>? names, IReadOnlyDictionary<string, string>? versions, out string? error)
    {
        error = null;
        if (names is null)
        {
            return null;
        }

        if (names.Count > MaxAdvertised)
        {
            error = $"capabilities may list at most {MaxAdvertised} names.";
            return null;
        }

        var parsed = new List<ScannerCapability>(names.Count);
        foreach (var name in names)
        {
            if (name is null || name.Length is 0 or > MaxNameLength || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                error = $"capabilities: '{name}' is not a job name (1 to {MaxNameLength} lower-case letters, digits or '-').";
                return null;
            }

            var version = versions?.GetValueOrDefault(name) ?? "";
            if (version.Length > MaxVersionLength)
            {
                error = $"capabilityVersions.{name} must be at most {MaxVersionLength} characters.";
                return null;
            }

            if (!parsed.Exists(c => c.Name == name))
            {
                parsed.Add(new ScannerCapability(name, version));
            }
        }

        return parsed;
    }
}
