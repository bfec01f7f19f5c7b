using Outpost.Probe.Capabilities.Fingerprint.Rules;

namespace Outpost.Probe.Tests.Fingerprint;

/// <summary>
/// The shipped rule database, rule by rule: each rule's sample reply is identified as that rule, and no other rule
/// that reads the same probes claims it (a fallback rule may match a specific rule's sample: it is only consulted
/// when no specific rule matches). docs/fingerprint.md explains samples and tiers.
/// </summary>
public sealed class RuleDatabaseTests
{
    private static readonly RuleDatabase Rules = RuleDatabase.BuiltIn;

    public static TheoryData<string> RuleIds() => [.. Rules.Rules.Select(r => r.Id)];

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Each_rule_matches_its_own_sample_and_the_database_picks_it(string id)
    {
        var rule = Rules.Rules.Single(r => r.Id == id);
        var match = rule.TryMatch(rule.Sample);
        Assert.NotNull(match);
        Assert.Equal(rule.Service, match.Service);
        foreach (var probe in ProbesRead(rule))
        {
            Assert.Equal(id, Rules.Match(probe, rule.Sample)?.Rule.Id);
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void No_other_rule_of_its_tier_or_a_stronger_one_matches_its_sample(string id)
    {
        var rule = Rules.Rules.Single(r => r.Id == id);
        var rivals = Rules.Rules
            .Where(other => other.Id != id && (!other.Fallback || rule.Fallback) && ProbesRead(other).Intersect(ProbesRead(rule)).Any())
            .Where(other => other.TryMatch(rule.Sample) is not null)
            .Select(other => other.Id);
        Assert.Empty(rivals);
    }

    [Fact]
    public void The_database_covers_the_services_it_promises()
    {
        var services = Rules.Rules.Select(r => r.Service).ToHashSet();
        foreach (var service in new[] { "https", "http", "ssh", "ftp", "smtp", "pop3", "imap", "telnet", "rdp", "smb", "domain", "mysql",
            "postgresql", "redis", "memcached", "mongodb", "ldap", "vnc", "mqtt", "amqp" })
        {
            Assert.Contains(service, services);
        }

        Assert.Contains(Rules.Rules, r => r.Product == "Elasticsearch REST API");
        Assert.Contains(Rules.Probes, p => p.Tls);
        Assert.Equal("smtps", Rules.TlsName("smtp"));
        Assert.NotNull(Rules.StartTls("smtp"));
    }

    [Fact]
    public void Captures_fill_version_and_cpe_and_a_missing_group_leaves_them_short()
    {
        var openssh = Rules.Match("banner", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n")!;
        Assert.Equal(("ssh", "OpenSSH", "9.2p1"), (openssh.Service, openssh.Product, openssh.Version));
        Assert.Equal(["cpe:/a:openbsd:openssh:9.2p1"], openssh.Cpe);

        var nginx = Rules.Match("http-get", "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n")!;
        Assert.Equal(("nginx", null), (nginx.Product, nginx.Version));
        Assert.Equal(["cpe:/a:f5:nginx"], nginx.Cpe);
    }

    [Fact]
    public void A_reply_no_rule_knows_matches_nothing() =>
        Assert.Null(Rules.Match("banner", "HELLO-XYZ 42\r\n"));

    [Theory]
    [InlineData("rules: [{id: a, service: x, match: '(unclosed', sample: 'x'}]", "bad regular expression")]
    [InlineData("rules: [{id: a, service: x, match: 'x', probes: [nope], sample: 'x'}]", "unknown probe 'nope'")]
    [InlineData("rules: [{id: a, service: x, match: 'x'}]", "no sample")]
    [InlineData("rules: [{id: a, service: X, match: 'x', sample: 'x'}]", "lower case")]
    [InlineData("rules: [{id: a, service: x, match: 'x', sample: 'x'}, {id: a, service: y, match: 'y', sample: 'y'}]", "defined twice")]
    [InlineData("probes: [{id: p, tls: true, send: 'x'}]", "cannot also send")]
    [InlineData("probes: [{id: p, ports: [70000]}]", "port 70000")]
    [InlineData("rules: [{id: a, service: x, match: 'x', upgrade: ssh, sample: 'x'}]", "only 'tls'")]
    [InlineData("rules: {id: a}", "broken.yaml")]
    public void A_broken_rule_file_is_refused_with_file_and_rule_named(string yaml, string expected)
    {
        var error = Assert.Throws<FormatException>(() => RuleDatabase.Load([("broken.yaml", yaml)]));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<string> ProbesRead(MatchRule rule) =>
        rule.Probes.Count == 0 ? Rules.Probes.Select(p => p.Id) : rule.Probes;
}
