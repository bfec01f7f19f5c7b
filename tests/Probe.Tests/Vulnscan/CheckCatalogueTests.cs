using Outpost.Probe.Capabilities.Vulnscan.Catalogue;

namespace Outpost.Probe.Tests.Vulnscan;

/// <summary>
/// The shipped check catalogue, check by check: each check fires on its positive sample and stays quiet on its
/// negative one (docs/vulnscan.md, "Samples"); the catalogue covers what the product promises; a broken catalogue
/// file fails to load, naming the file and the check.
/// </summary>
public sealed class CheckCatalogueTests
{
    private static readonly CheckCatalogue Catalogue = CheckCatalogue.BuiltIn;

    public static TheoryData<string> CheckIds() => [.. Catalogue.Checks.Select(c => c.Id)];

    [Theory]
    [MemberData(nameof(CheckIds))]
    public void Each_check_fires_on_its_positive_sample(string id)
    {
        var check = Catalogue.Find(id)!;
        var sample = check.PositiveSample;
        Assert.True(CheckEvaluator.Applies(check, sample.Service, sample.Tls is not null), $"{id} does not apply to its own positive sample");
        var evidence = CheckEvaluator.Evaluate(check, sample, DateTimeOffset.UtcNow);
        Assert.False(string.IsNullOrWhiteSpace(evidence), $"{id} did not fire on its positive sample");
        Assert.Equal(check.Match.Count, evidence.Split('\n').Length);
    }

    [Theory]
    [MemberData(nameof(CheckIds))]
    public void Each_check_stays_quiet_on_its_negative_sample(string id)
    {
        var check = Catalogue.Find(id)!;
        var sample = check.NegativeSample;
        var fires = CheckEvaluator.Applies(check, sample.Service, sample.Tls is not null) && CheckEvaluator.Evaluate(check, sample, DateTimeOffset.UtcNow) is not null;
        Assert.False(fires, $"{id} fired on its negative sample");
    }

    [Fact]
    public void The_catalogue_covers_the_promised_areas()
    {
        Assert.True(Catalogue.Checks.Count >= 30, $"only {Catalogue.Checks.Count} checks");
        string[] promised =
        [
            "tls-certificate-expired", "tls-certificate-expiring", "tls-certificate-self-signed", "tls-certificate-wrong-name", "tls-1-0-enabled",
            "tls-1-1-enabled", "tls-weak-rsa-key", "tls-sha1-signature", "ssh-protocol-1", "ssh-weak-key-exchange", "ssh-weak-cipher", "ssh-weak-mac",
            "cleartext-telnet", "cleartext-ftp", "cleartext-pop3", "cleartext-imap", "ftp-anonymous-login", "redis-no-auth", "memcached-no-auth",
            "mongodb-no-auth", "elasticsearch-no-auth", "http-directory-listing", "http-git-exposed", "http-apache-server-status",
            "http-default-nginx-page", "http-missing-hsts", "smb-v1-enabled",
        ];
        Assert.DoesNotContain(promised, id => Catalogue.Find(id) is null);
        Assert.All(Catalogue.Checks, c => Assert.False(string.IsNullOrWhiteSpace(c.Remediation), $"{c.Id} has no remediation"));
        Assert.All(Catalogue.Checks, c => Assert.NotEmpty(c.References));
    }

    [Fact]
    public void Checks_without_a_send_read_only_fingerprint_facts()
    {
        // The appliance runs these over uploaded fingerprints: a field only an exchange fills would never be there.
        string[] exchangeFields = ["reply", "status", "body", "tls.signature"];
        foreach (var check in Catalogue.Checks.Where(c => !c.NeedsNetwork))
        {
            Assert.DoesNotContain(check.Match, m => exchangeFields.Contains(m.Field) || m.Field.StartsWith("header.", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("checks:\n  - {id: x-1, title: T, severity: urgent, match: [{field: service, equals: a}], samples: {positive: {}, negative: {}}}\n", "severity")]
    [InlineData("checks:\n  - {id: x-1, title: T, severity: low, match: [{field: nonsense, equals: a}], samples: {positive: {}, negative: {}}}\n", "unknown field")]
    [InlineData("checks:\n  - {id: x-1, title: T, severity: low, colour: red, match: [{field: service, equals: a}], samples: {positive: {}, negative: {}}}\n", "unknown key 'colour'")]
    [InlineData("checks:\n  - {id: x-1, title: T, severity: low, match: [{field: service, equals: a, regex: b}], samples: {positive: {}, negative: {}}}\n", "exactly one")]
    [InlineData("checks:\n  - {id: x-1, title: T, severity: low, match: [{field: service, equals: a}]}\n", "samples")]
    [InlineData("checks:\n  - {id: x-1, title: T, severity: low, send: {http: {path: nope}}, match: [{field: status, equals: '200'}], samples: {positive: {}, negative: {}}}\n", "path starting with /")]
    [InlineData("checks:\n  - {id: x-1, title: T, severity: low, match: [{field: service, equals: a}], samples: {positive: {}, negative: {}}}\n  - {id: x-1, title: T, severity: low, match: [{field: service, equals: a}], samples: {positive: {}, negative: {}}}\n", "used twice")]
    public void A_broken_catalogue_file_fails_to_load_naming_the_problem(string yaml, string problem)
    {
        var error = Assert.Throws<FormatException>(() => CheckCatalogue.Load([("broken.yaml", yaml)], DateTimeOffset.UtcNow));
        Assert.Contains("broken.yaml", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
