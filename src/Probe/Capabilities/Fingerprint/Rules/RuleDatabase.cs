using System.Collections.Frozen;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Outpost.Probe.Capabilities.Fingerprint.Rules;

/// <summary>
/// The probes and matchers that identify services, loaded from YAML rule files (docs/fingerprint.md). The built-in
/// database is the set of files under Rules/Data, embedded in outpost-probe. Loading checks everything a rule file
/// can get wrong (unknown probe ids, bad regular expressions, duplicate ids) and fails with the file and rule named.
/// </summary>
public sealed class RuleDatabase
{
    /// <summary>How long one regular expression may run over one reply.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    private const string ResourcePrefix = "fingerprint-rules/";
    private static readonly Lazy<RuleDatabase> BuiltInDatabase = new(LoadBuiltIn);

    private readonly FrozenDictionary<string, string> _tlsNames;
    private readonly FrozenDictionary<string, StartTlsDialogue> _startTls;

    private RuleDatabase(IReadOnlyList<ServiceProbe> probes, IReadOnlyList<MatchRule> rules,
        Dictionary<string, StartTlsDialogue> startTls, Dictionary<string, string> tlsNames)
    {
        Probes = probes;
        Rules = rules;
        _startTls = startTls.ToFrozenDictionary();
        _tlsNames = tlsNames.ToFrozenDictionary();
    }

    /// <summary>The rule database shipped inside outpost-probe.</summary>
    public static RuleDatabase BuiltIn => BuiltInDatabase.Value;

    /// <summary>Probes in the order they are tried on a port without a hint.</summary>
    public IReadOnlyList<ServiceProbe> Probes { get; }

    /// <summary>Rules in the order they are tried: specific ones first, fallbacks last, file order within each.</summary>
    public IReadOnlyList<MatchRule> Rules { get; }

    /// <summary>
    /// Loads rule files given as (name, YAML text); the name is only for error messages.
    /// Throws <see cref="FormatException"/> naming the file and rule when a file is wrong.
    /// </summary>
    public static RuleDatabase Load(IEnumerable<(string Name, string Yaml)> files)
    {
        var deserializer = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
        var probes = new List<ServiceProbe>();
        var specs = new List<(string File, MatchSpec Spec)>();
        var startTls = new Dictionary<string, StartTlsDialogue>(StringComparer.Ordinal);
        var tlsNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, yaml) in files)
        {
            RuleFile file;
            try
            {
                file = deserializer.Deserialize<RuleFile?>(yaml) ?? new RuleFile();
            }
            catch (YamlException ex)
            {
                throw new FormatException($"{name}: {ex.Message}", ex);
            }

            foreach (var probe in file.Probes)
            {
                probes.Add(ServiceProbe.From(name, probe));
            }

            specs.AddRange(file.Rules.Select(r => (name, r)));
            foreach (var dialogue in file.StartTls)
            {
                if (!startTls.TryAdd(dialogue.Service, StartTlsDialogue.From(name, dialogue)))
                {
                    throw new FormatException($"{name}: a second STARTTLS dialogue for '{dialogue.Service}'.");
                }
            }

            foreach (var (plain, tls) in file.TlsNames)
            {
                tlsNames[plain] = tls;
            }
        }

        var probeIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var probe in probes)
        {
            if (!probeIds.Add(probe.Id))
            {
                throw new FormatException($"Probe id '{probe.Id}' is defined twice.");
            }
        }

        var ruleIds = new HashSet<string>(StringComparer.Ordinal);
        var rules = new List<MatchRule>(specs.Count);
        foreach (var (file, spec) in specs)
        {
            if (!ruleIds.Add(spec.Id))
            {
                throw new FormatException($"{file}: rule id '{spec.Id}' is defined twice.");
            }

            if (spec.Probes.FirstOrDefault(p => !probeIds.Contains(p)) is { } unknown)
            {
                throw new FormatException($"{file}: rule '{spec.Id}' names an unknown probe '{unknown}'.");
            }

            rules.Add(MatchRule.From(file, spec));
        }

        return new RuleDatabase(
            [.. probes.OrderBy(p => p.Order)],
            [.. rules.Where(r => !r.Fallback), .. rules.Where(r => r.Fallback)],
            startTls,
            tlsNames);
    }

    /// <summary>Loads every *.yaml file of a directory (for trying out rules without rebuilding).</summary>
    public static RuleDatabase LoadDirectory(string path) =>
        Load(Directory.GetFiles(path, "*.yaml").Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllText(f))));

    /// <summary>The first rule that reads <paramref name="probeId"/>'s replies and matches <paramref name="reply"/>.</summary>
    /// <param name="probeId">The probe that was sent.</param>
    /// <param name="reply">The reply bytes as Latin-1 text (one char per byte), see <see cref="Latin1"/>.</param>
    public RuleMatch? Match(string probeId, string reply)
    {
        foreach (var rule in Rules)
        {
            if (rule.Reads(probeId) && rule.TryMatch(reply) is { } match)
            {
                return match;
            }
        }

        return null;
    }

    /// <summary>The service's name when it runs inside TLS ("http" → "https"); the plain name when none is listed.</summary>
    public string TlsName(string service) => _tlsNames.GetValueOrDefault(service, service);

    /// <summary>How to ask <paramref name="service"/> to switch to TLS on its plain connection, if it can.</summary>
    public StartTlsDialogue? StartTls(string service) => _startTls.GetValueOrDefault(service);

    /// <summary>Bytes as text, one char per byte: the form rules and samples are written and matched in.</summary>
    public static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    private static RuleDatabase LoadBuiltIn()
    {
        var assembly = typeof(RuleDatabase).Assembly;
        var names = assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        return Load(names.Select(n => (n[ResourcePrefix.Length..], Read(assembly, n))));
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    internal static Regex Compile(string file, string id, string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"{file}: '{id}' has a bad regular expression: {ex.Message}", ex);
        }
    }
}
