using YamlDotNet.RepresentationModel;
using static Outpost.Probe.Capabilities.YamlNodes;

namespace Outpost.Probe.Capabilities.Fingerprint.Rules;

// Reads a rule file from YamlDotNet's node tree into RuleFile by hand, rather than through its reflection-based
// Deserializer: every `outpost-probe fingerprint` run loads the database before its first probe, and cold (the only
// way a CLI run ever sees it) the Deserializer took ~750 ms of wall time on the 2-core build machine under load,
// against ~130 ms for parsing the same files into nodes. Unknown keys are errors, so a typo in a rule file fails.
internal static class RuleFileReader
{
    public static RuleFile Read(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var file = new RuleFile();
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return file;
        }

        foreach (var (key, value) in Mapping(stream.Documents[0].RootNode))
        {
            switch (key)
            {
                case "probes":
                    file.Probes.AddRange(Sequence(value).Select(Probe));
                    break;
                case "rules":
                    file.Rules.AddRange(Sequence(value).Select(Rule));
                    break;
                case "startTls":
                    file.StartTls.AddRange(Sequence(value).Select(StartTls));
                    break;
                case "tlsNames":
                    foreach (var (plain, tls) in Mapping(value))
                    {
                        file.TlsNames[plain] = Text(tls);
                    }

                    break;
                default:
                    throw Unknown(key, value);
            }
        }

        return file;
    }

    private static ProbeSpec Probe(YamlNode node)
    {
        var probe = new ProbeSpec();
        foreach (var (key, value) in Mapping(node))
        {
            switch (key)
            {
                case "id": probe.Id = Text(value); break;
                case "send": probe.Send = Text(value); break;
                case "tls": probe.Tls = Flag(value); break;
                case "ports": probe.Ports.AddRange(Sequence(value).Select(WholeNumber)); break;
                case "tlsPorts": probe.TlsPorts.AddRange(Sequence(value).Select(WholeNumber)); break;
                case "tlsDefault": probe.TlsDefault = Flag(value); break;
                case "eager": probe.Eager = Flag(value); break;
                case "readToEnd": probe.ReadToEnd = Flag(value); break;
                case "order": probe.Order = WholeNumber(value); break;
                default: throw Unknown(key, value);
            }
        }

        return probe;
    }

    private static MatchSpec Rule(YamlNode node)
    {
        var rule = new MatchSpec();
        foreach (var (key, value) in Mapping(node))
        {
            switch (key)
            {
                case "id": rule.Id = Text(value); break;
                case "probes": rule.Probes.AddRange(Sequence(value).Select(Text)); break;
                case "service": rule.Service = Text(value); break;
                case "match": rule.Match = Text(value); break;
                case "product": rule.Product = Text(value); break;
                case "version": rule.Version = Text(value); break;
                case "cpe": rule.Cpe.AddRange(Sequence(value).Select(Text)); break;
                case "fallback": rule.Fallback = Flag(value); break;
                case "upgrade": rule.Upgrade = Text(value); break;
                case "sample": rule.Sample = Text(value); break;
                default: throw Unknown(key, value);
            }
        }

        return rule;
    }

    private static StartTlsSpec StartTls(YamlNode node)
    {
        var dialogue = new StartTlsSpec();
        foreach (var (key, value) in Mapping(node))
        {
            switch (key)
            {
                case "service": dialogue.Service = Text(value); break;
                case "steps": dialogue.Steps.AddRange(Sequence(value).Select(Step)); break;
                default: throw Unknown(key, value);
            }
        }

        return dialogue;
    }

    private static StepSpec Step(YamlNode node)
    {
        var step = new StepSpec();
        foreach (var (key, value) in Mapping(node))
        {
            switch (key)
            {
                case "send": step.Send = Text(value); break;
                case "expect": step.Expect = Text(value); break;
                default: throw Unknown(key, value);
            }
        }

        return step;
    }
}
