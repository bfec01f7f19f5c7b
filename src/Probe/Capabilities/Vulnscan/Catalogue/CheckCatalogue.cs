using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace Outpost.Probe.Capabilities.Vulnscan.Catalogue;

/// <summary>
/// The vulnerability checks, kept as data: YAML files under <c>Catalogue/Data/</c>, embedded in outpost-probe
/// (and so in the appliance, which references it). Loading checks every check (unique id, known severity and fields,
/// one test per matcher) and fails with the file and check named, so a broken catalogue never ships.
/// </summary>
public sealed partial class CheckCatalogue
{
    private const string ResourcePrefix = "vulnscan-checks/";
    private static readonly Lazy<CheckCatalogue> Shipped = new(LoadBuiltIn);
    private readonly Dictionary<string, VulnCheck> _byId;

    private CheckCatalogue(IReadOnlyList<VulnCheck> checks)
    {
        Checks = checks;
        _byId = checks.ToDictionary(c => c.Id, StringComparer.Ordinal);
    }

    /// <summary>The catalogue shipped inside outpost-probe.</summary>
    public static CheckCatalogue BuiltIn => Shipped.Value;

    /// <summary>Every check, in file then catalogue order.</summary>
    public IReadOnlyList<VulnCheck> Checks { get; }

    public VulnCheck? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>Loads catalogue files; throws <see cref="FormatException"/> naming the file and check that is wrong.</summary>
    public static CheckCatalogue Load(IEnumerable<(string File, string Yaml)> files, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(files);
        var checks = new List<VulnCheck>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, yaml) in files)
        {
            try
            {
                foreach (var check in CheckFileReader.Read(file, yaml, now))
                {
                    if (Problem(check) is { } problem)
                    {
                        throw new FormatException($"{file}: check '{check.Id}': {problem}");
                    }

                    if (!ids.Add(check.Id))
                    {
                        throw new FormatException($"{file}: check id '{check.Id}' is used twice");
                    }

                    checks.Add(check);
                }
            }
            catch (YamlException ex)
            {
                throw new FormatException($"{file}: {ex.Message} (line {ex.Start.Line})", ex);
            }
        }

        return new CheckCatalogue(checks);
    }

    private static string? Problem(VulnCheck check)
    {
        if (!IdShape().IsMatch(check.Id))
        {
            return "ids are 2 to 64 characters of a-z, 0-9 and '-'";
        }

        if (!Severities.All.Contains(check.Severity, StringComparer.Ordinal))
        {
            return $"severity must be one of {string.Join(", ", Severities.All)}";
        }

        if (check.Send is { } send && (send.Tcp is null ? 0 : 1) + (send.Http is null ? 0 : 1) + (send.Handshake ? 1 : 0) != 1)
        {
            return "send is exactly one of tcp, http or handshake";
        }

        if (check.Send?.Http is { } http && (!http.Path.StartsWith('/') || http.Method is not ("GET" or "HEAD" or "OPTIONS" or "TRACE")))
        {
            return "an HTTP check reads: GET, HEAD, OPTIONS or TRACE of a path starting with /";
        }

        foreach (var matcher in check.Match)
        {
            if (!Observation.IsField(matcher.Field))
            {
                return $"unknown field '{matcher.Field}'";
            }

            var tests = (matcher.Regex is null ? 0 : 1) + (matcher.NotRegex is null ? 0 : 1) + (matcher.EqualsValue is null ? 0 : 1)
                + (matcher.Below is null && matcher.AtLeast is null ? 0 : 1) + (matcher.Present is null ? 0 : 1);
            if (tests != 1)
            {
                return $"the matcher on '{matcher.Field}' needs exactly one of regex, not-regex, equals, below/at-least or present";
            }
        }

        return null;
    }

    private static CheckCatalogue LoadBuiltIn()
    {
        var assembly = typeof(CheckCatalogue).Assembly;
        var names = assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        return Load(names.Select(n => (n[ResourcePrefix.Length..], Read(assembly, n))), DateTimeOffset.UtcNow);
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial Regex IdShape();
}
