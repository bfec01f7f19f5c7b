using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Outpost.Probe.Capabilities.Fingerprint;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using static Outpost.Probe.Capabilities.YamlNodes;

namespace Outpost.Probe.Capabilities.Vulnscan.Catalogue;

// Reads one catalogue file (docs/vulnscan.md) from YamlDotNet's node tree, as the fingerprint rules are read (the
// reflection Deserializer is slow cold, and every CLI run loads the catalogue). Unknown keys are errors, so a typo in
// a check fails the load and the catalogue test rather than silently weakening a check. Byte strings (steps, replies)
// are YAML double-quoted strings whose characters are bytes (Latin-1), as in the fingerprint rules.
internal static class CheckFileReader
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    public static IEnumerable<VulnCheck> Read(string file, string yaml, DateTimeOffset now)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        if (stream.Documents.Count == 0)
        {
            yield break;
        }

        foreach (var (key, value) in Mapping(stream.Documents[0].RootNode))
        {
            if (key != "checks")
            {
                throw Unknown(key, value);
            }

            foreach (var node in Sequence(value))
            {
                yield return Check(file, node, now);
            }
        }
    }

    private static VulnCheck Check(string file, YamlNode node, DateTimeOffset now)
    {
        string? id = null, title = null, severity = null, remediation = null;
        var services = new List<string>();
        var references = new List<string>();
        var matchers = new List<CheckMatcher>();
        bool? tls = null;
        CheckSend? send = null;
        YamlNode? positive = null, negative = null;
        foreach (var (key, value) in Mapping(node))
        {
            switch (key)
            {
                case "id": id = Text(value); break;
                case "title": title = Text(value); break;
                case "severity": severity = Text(value); break;
                case "services": services.AddRange(Sequence(value).Select(Text)); break;
                case "tls": tls = Flag(value); break;
                case "send": send = Send(value); break;
                case "match": matchers.AddRange(Sequence(value).Select(m => Matcher(file, id, m))); break;
                case "remediation": remediation = Text(value); break;
                case "references": references.AddRange(Sequence(value).Select(Text)); break;
                case "samples":
                    foreach (var (which, sample) in Mapping(value))
                    {
                        _ = which switch
                        {
                            "positive" => positive = sample,
                            "negative" => negative = sample,
                            _ => throw Unknown(which, sample),
                        };
                    }

                    break;
                default: throw Unknown(key, value);
            }
        }

        if (id is null || title is null || severity is null || positive is null || negative is null || matchers.Count == 0)
        {
            throw new YamlException(node.Start, node.End, "a check needs id, title, severity, match and samples (positive and negative)");
        }

        var defaultService = services.Count > 0 ? services[0] : tls == true ? "https" : ServiceNames.Unknown;
        return new VulnCheck
        {
            Id = id,
            Title = title,
            Severity = severity,
            Services = services,
            Tls = tls,
            Send = send,
            Match = matchers,
            Remediation = remediation,
            References = references,
            PositiveSample = Sample(positive, defaultService, tls == true, now),
            NegativeSample = Sample(negative, defaultService, tls == true, now),
        };
    }

    private static CheckSend Send(YamlNode node)
    {
        var send = new CheckSend();
        foreach (var (key, value) in Mapping(node))
        {
            switch (key)
            {
                case "tcp":
                    var greeting = false;
                    var insideTls = false;
                    var steps = new List<byte[]>();
                    foreach (var (part, partValue) in Mapping(value))
                    {
                        switch (part)
                        {
                            case "greeting": greeting = Flag(partValue); break;
                            case "tls": insideTls = Flag(partValue); break;
                            case "steps": steps.AddRange(Sequence(partValue).Select(s => Encoding.Latin1.GetBytes(Text(s)))); break;
                            default: throw Unknown(part, partValue);
                        }
                    }

                    send = send with { Tcp = new TcpExchange(greeting, steps, insideTls) };
                    break;
                case "http":
                    string method = "GET", path = "/";
                    foreach (var (part, partValue) in Mapping(value))
                    {
                        switch (part)
                        {
                            case "method": method = Text(partValue); break;
                            case "path": path = Text(partValue); break;
                            default: throw Unknown(part, partValue);
                        }
                    }

                    send = send with { Http = new HttpProbe(method, path) };
                    break;
                case "handshake":
                    send = send with { Handshake = Text(value) == "tls" ? true : throw Expected("tls", value) };
                    break;
                default: throw Unknown(key, value);
            }
        }

        return send;
    }

    private static CheckMatcher Matcher(string file, string? id, YamlNode node)
    {
        string? field = null;
        var matcher = new CheckMatcher { Field = "" };
        foreach (var (key, value) in Mapping(node))
        {
            matcher = key switch
            {
                "field" => matcher with { Field = field = Text(value) },
                "regex" => matcher with { Regex = Compile(file, id, Text(value)) },
                "not-regex" => matcher with { NotRegex = Compile(file, id, Text(value)) },
                "equals" => matcher with { EqualsValue = Text(value) },
                "below" => matcher with { Below = Number(value) },
                "at-least" => matcher with { AtLeast = Number(value) },
                "present" => matcher with { Present = Flag(value) },
                _ => throw Unknown(key, value),
            };
        }

        if (field is null)
        {
            throw new YamlException(node.Start, node.End, "a matcher needs a field");
        }

        return matcher;
    }

    // A sample is an observation; one of a check about TLS services has a (valid) certificate unless it says more.
    private static Observation Sample(YamlNode node, string defaultService, bool spokeTls, DateTimeOffset now)
    {
        var sample = new Observation { Ip = "192.0.2.10", Port = 1, Service = defaultService };
        foreach (var (key, value) in Mapping(node))
        {
            sample = key switch
            {
                "ip" => sample with { Ip = Text(value) },
                "port" => sample with { Port = (int)Number(value) },
                "service" => sample with { Service = Text(value) },
                "product" => sample with { Product = Text(value) },
                "banner" => sample with { Banner = Text(value) },
                "reply" => sample with { Reply = Text(value) },
                "status" => sample with { Status = (int)Number(value) },
                "body" => sample with { Body = Text(value) },
                "signature" => sample with { Signature = Text(value) },
                "headers" => sample with { Headers = Mapping(value).ToDictionary(h => h.Key.ToLowerInvariant(), h => Text(h.Value), StringComparer.Ordinal) },
                "tls" => sample with { Tls = Tls(value, now) },
                "http" => sample with { Http = HttpFacts(value) },
                _ => throw Unknown(key, value),
            };
        }

        return spokeTls && sample.Tls is null ? sample with { Tls = Tls(new YamlMappingNode(), now) } : sample;
    }

    // A sample certificate: a valid one unless the sample says otherwise; dates may be "now+Nd" / "now-Nd" so that a
    // sample about expiry stays true whenever the test runs.
    private static TlsFacts Tls(YamlNode node, DateTimeOffset now)
    {
        var tls = new TlsFacts
        {
            Version = "TLSv1.3",
            Cipher = "TLS_AES_256_GCM_SHA384",
            Subject = "CN=192.0.2.10",
            Issuer = "CN=Sample CA",
            Sans = ["192.0.2.10"],
            NotBefore = now.AddDays(-30),
            NotAfter = now.AddDays(365),
            SelfSigned = false,
            KeyType = "RSA",
            KeyBits = 2048,
            Sha256 = new string('0', 64),
        };
        foreach (var (key, value) in Mapping(node))
        {
            tls = key switch
            {
                "version" => tls with { Version = Text(value) },
                "subject" => tls with { Subject = Text(value) },
                "issuer" => tls with { Issuer = Text(value) },
                "sans" => tls with { Sans = [.. Sequence(value).Select(Text)] },
                "notBefore" => tls with { NotBefore = Date(value, now) },
                "notAfter" => tls with { NotAfter = Date(value, now) },
                "selfSigned" => tls with { SelfSigned = Flag(value) },
                "keyType" => tls with { KeyType = Text(value) },
                "keyBits" => tls with { KeyBits = (int)Number(value) },
                _ => throw Unknown(key, value),
            };
        }

        return tls;
    }

    private static HttpFacts HttpFacts(YamlNode node)
    {
        var http = new HttpFacts { Status = 200 };
        foreach (var (key, value) in Mapping(node))
        {
            http = key switch
            {
                "status" => http with { Status = (int)Number(value) },
                "title" => http with { Title = Text(value) },
                "server" => http with { Server = Text(value) },
                _ => throw Unknown(key, value),
            };
        }

        return http;
    }

    private static DateTimeOffset Date(YamlNode node, DateTimeOffset now)
    {
        var text = Text(node);
        if (text.StartsWith("now", StringComparison.Ordinal) && text.EndsWith('d')
            && int.TryParse(text.AsSpan(3, text.Length - 4), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var days))
        {
            return now.AddDays(days);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? date
            : throw Expected("a date (ISO 8601, or now+Nd / now-Nd)", node);
    }

    private static Regex Compile(string file, string? id, string pattern)
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
