using System.Globalization;
using System.Text.RegularExpressions;
using static Outpost.Testing.LabNamespace;

namespace Outpost.Testing;

/// <summary>
/// A network namespace of real Debian daemons for the fingerprint tests and benchmark: openssh-server, nginx (HTTP, a
/// redirect, HTTPS with a self-signed and with an expired certificate made here with <c>openssl req</c>/<c>x509</c>),
/// vsftpd, redis-server, memcached, PostgreSQL and Postfix, each on its usual port and on an unusual one; plus a port
/// that sends an unknown banner, one that accepts and stays silent, and one that is closed. The namespace is
/// <c>fp-…</c> on 10.78.N.0/24 (a <see cref="LabNamespace"/>: the daemons at .2, our end of the veth pair at .1), so
/// nothing here can reach beyond it. Every daemon runs with its own configuration in the lab's temp directory, in the
/// foreground, inside the namespace. <see cref="DisposeAsync"/> kills everything in the namespace and deletes it and
/// the directory, even after a failure. Self-contained on purpose (no test framework): the test project and the
/// benchmark link this file and LabNamespace.cs.
/// </summary>
public sealed partial class ServiceLab : IAsyncDisposable
{
    public const int BannerPort = 7777;
    public const int SilentPort = 7778;
    public const int ClosedPort = 7779;

    /// <summary>The text the unknown-banner port sends.</summary>
    public const string UnknownBanner = "HELLO-XYZ 42\r\n";

    private readonly LabNamespace _network;

    private ServiceLab(LabNamespace network) => _network = network;

    public string Namespace => _network.Name;

    /// <summary>Where every daemon listens.</summary>
    public string Address => _network.Address;

    /// <summary>The certificate nginx serves on 443 (and Postfix on STARTTLS): self-signed, valid for a year.</summary>
    public string SelfSignedCertificate => Path.Combine(Directory, "self.crt");

    /// <summary>The certificate nginx serves on 18443: self-signed, EC P-256, expired a day before the lab started.</summary>
    public string ExpiredCertificate => Path.Combine(Directory, "expired.crt");

    /// <summary>What each open port runs, with the product and version the installed packages report.</summary>
    public IReadOnlyList<LabService> Services { get; private set; } = [];

    /// <summary>Every port the lab has: the services, the unknown-banner and silent ports, and the closed one.</summary>
    public IReadOnlyList<int> AllPorts => [.. Services.Select(s => s.Port), BannerPort, SilentPort, ClosedPort];

    private string Directory => _network.Directory;

    public static Task<ServiceLab> StartAsync(CancellationToken ct = default) =>
        LabNamespace.StartAsync("fp", 78, network => new ServiceLab(network), lab => lab.SetUpAsync(ct));

    /// <summary>The upstream version of an installed Debian package ("1:9.2p1-2+deb12u10" → "9.2p1").</summary>
    public static string UpstreamVersion(string package)
    {
        var full = Run("dpkg-query", "-W", "-f=${Version}", package).Trim();
        var match = UpstreamPart().Match(full);
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException($"cannot read the version of {package}: '{full}'");
    }

    /// <summary>What <c>openssl x509 -noout -subject -issuer -dates -fingerprint -sha256</c> says about a certificate, by field.</summary>
    public static IReadOnlyDictionary<string, string> OpenSslFacts(string certificate)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Run("openssl", "x509", "-in", certificate, "-noout", "-subject", "-issuer", "-dates", "-fingerprint", "-sha256")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            facts[line[..equals].Trim()] = line[(equals + 1)..].Trim();
        }

        return facts;
    }

    public ValueTask DisposeAsync() => _network.DisposeAsync();

    private async Task SetUpAsync(CancellationToken ct)
    {
        // PostgreSQL's initdb is the slowest step: start it first and do the rest meanwhile.
        var postgres = Task.Run(() => SetUpPostgres(), ct);
        MakeCertificates();
        StartSsh();
        StartNginx();
        StartVsftpd(21);
        StartVsftpd(2121);
        StartRedis(6379);
        StartRedis(16379);
        StartMemcached(11211);
        StartMemcached(21211);
        StartPostfix();
        StartOddPorts();
        await postgres.ConfigureAwait(false);

        var ssh = UpstreamVersion("openssh-server");
        var nginx = UpstreamVersion("nginx");
        var vsftpd = UpstreamVersion("vsftpd");
        var redis = UpstreamVersion("redis-server");
        var memcached = UpstreamVersion("memcached");
        Services =
        [
            new(21, "ftp", "vsftpd", vsftpd),
            new(2121, "ftp", "vsftpd", vsftpd),
            new(22, "ssh", "OpenSSH", ssh),
            new(2222, "ssh", "OpenSSH", ssh),
            // Postfix does not say its version on the wire; its certificate comes through STARTTLS.
            new(25, "smtp", "Postfix smtpd", null) { Certificate = SelfSignedCertificate },
            new(2525, "smtp", "Postfix smtpd", null) { Certificate = SelfSignedCertificate },
            new(80, "http", "nginx", nginx) { Title = "Outpost fingerprint lab" },
            new(18080, "http", "nginx", nginx) { Title = "Outpost fingerprint lab" },
            new(8080, "http", "nginx", nginx) { Location = "https://fp-self.test/" },
            new(443, "https", "nginx", nginx) { Certificate = SelfSignedCertificate, Title = "Outpost fingerprint lab" },
            new(18443, "https", "nginx", nginx) { Certificate = ExpiredCertificate, Title = "Outpost fingerprint lab" },
            // PostgreSQL names its version only after a login, which a fingerprint does not attempt.
            new(5432, "postgresql", "PostgreSQL", null),
            new(15432, "postgresql", "PostgreSQL", null),
            new(6379, "redis", "Redis key-value store", redis),
            new(16379, "redis", "Redis key-value store", redis),
            new(11211, "memcached", "Memcached", memcached),
            new(21211, "memcached", "Memcached", memcached),
        ];

        // Handshake, not a sleep: every port must accept a connection before the lab is handed out.
        await _network.WaitForListenersAsync(Services.Select(s => s.Port).Append(BannerPort).Append(SilentPort), TimeSpan.FromSeconds(90), ct)
            .ConfigureAwait(false);
    }

    private void MakeCertificates()
    {
        Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", Path.Combine(Directory, "self.key"), "-out", SelfSignedCertificate,
            "-days", "365", "-subj", "/CN=fp-self.test/O=Outpost Lab", "-addext", $"subjectAltName=DNS:fp-self.test,IP:{Address}");
        var request = Path.Combine(Directory, "expired.csr");
        Run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", Path.Combine(Directory, "expired.key"),
            "-out", request, "-subj", "/CN=fp-expired.test");
        // -days -1: valid from now until yesterday, i.e. already expired.
        Run("openssl", "x509", "-req", "-in", request, "-signkey", Path.Combine(Directory, "expired.key"), "-days", "-1", "-out", ExpiredCertificate);
        Run("chmod", "644", Path.Combine(Directory, "self.key"));
    }

    private void StartSsh()
    {
        var key = Path.Combine(Directory, "ssh_host_ed25519_key");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key);
        var config = _network.Write("sshd_config", $"Port 22\nPort 2222\nListenAddress {Address}\nHostKey {key}\nPidFile {Directory}/sshd.pid\nUsePAM no\n");
        // sshd insists on its privilege separation directory.
        System.IO.Directory.CreateDirectory("/run/sshd");
        _network.Start("sshd", "/usr/sbin/sshd", "-f", config, "-D", "-e");
    }

    private void StartNginx()
    {
        var root = Path.Combine(Directory, "www");
        System.IO.Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "index.html"), "<html><head><title>Outpost fingerprint lab</title></head><body>lab</body></html>\n");
        var d = Directory;
        _network.StartNginx($$"""
              server { listen {{Address}}:80; listen {{Address}}:18080; root {{root}}; }
              server { listen {{Address}}:443 ssl; ssl_certificate {{SelfSignedCertificate}}; ssl_certificate_key {{d}}/self.key; root {{root}}; }
              server { listen {{Address}}:18443 ssl; ssl_certificate {{ExpiredCertificate}}; ssl_certificate_key {{d}}/expired.key; root {{root}}; }
              server { listen {{Address}}:8080; return 301 https://fp-self.test/; }
            """);
    }

    private void StartVsftpd(int port)
    {
        var root = Path.Combine(Directory, "ftp");
        System.IO.Directory.CreateDirectory(root);
        Run("chmod", "555", root);
        var config = _network.Write($"vsftpd-{port}.conf",
            $"listen=YES\nlisten_address={Address}\nlisten_port={port}\nbackground=NO\nanonymous_enable=YES\nanon_root={root}\nno_anon_password=YES\n"
            + "local_enable=NO\nwrite_enable=NO\nsecure_chroot_dir=/var/run/vsftpd/empty\n");
        System.IO.Directory.CreateDirectory("/var/run/vsftpd/empty");
        _network.Start($"vsftpd-{port}", "vsftpd", config);
    }

    private void StartRedis(int port) =>
        _network.Start($"redis-{port}", "redis-server", "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", Address, "--protected-mode", "no",
            "--save", "", "--appendonly", "no", "--dir", Directory);

    private void StartMemcached(int port) =>
        _network.Start($"memcached-{port}", "memcached", "-u", "nobody", "-l", Address, "-p", port.ToString(CultureInfo.InvariantCulture), "-U", "0");

    private void StartPostfix()
    {
        var config = Path.Combine(Directory, "postfix");
        var data = Path.Combine(Directory, "postfix-data");
        System.IO.Directory.CreateDirectory(config);
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "postfix-queue"));
        System.IO.Directory.CreateDirectory(data);
        Run("chown", "postfix", data);
        File.WriteAllText(Path.Combine(config, "main.cf"), $"""
            compatibility_level = 3.6
            queue_directory = {Directory}/postfix-queue
            data_directory = {data}
            inet_interfaces = {Address}
            inet_protocols = ipv4
            myhostname = fp-mail.test
            mydestination =
            smtpd_tls_cert_file = {SelfSignedCertificate}
            smtpd_tls_key_file = {Directory}/self.key
            smtpd_tls_security_level = may
            maillog_file = /dev/stdout
            """ + "\n");
        // Only what an SMTP listener needs; postfix start-fg runs master in the foreground.
        File.WriteAllText(Path.Combine(config, "master.cf"), """
            25 inet n - n - - smtpd
            2525 inet n - n - - smtpd
            pickup unix n - n 60 1 pickup
            cleanup unix n - n - 0 cleanup
            qmgr unix n - n 300 1 qmgr
            tlsmgr unix - - n 1000? 1 tlsmgr
            rewrite unix - - n - - trivial-rewrite
            bounce unix - - n - 0 bounce
            defer unix - - n - 0 bounce
            trace unix - - n - 0 bounce
            verify unix - - n - 1 verify
            flush unix n - n 1000? 0 flush
            proxymap unix - - n - - proxymap
            smtp unix - - n - - smtp
            relay unix - - n - - smtp
            showq unix n - n - - showq
            error unix - - n - - error
            retry unix - - n - - error
            discard unix - - n - - discard
            local unix - n n - - local
            anvil unix - - n - 1 anvil
            scache unix - - n - 1 scache
            postlog unix-dgram n - n - 1 postlogd
            """ + "\n");
        _network.Start("postfix", "postfix", "-c", config, "start-fg");
    }

    private void SetUpPostgres()
    {
        var binaries = System.IO.Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            .FirstOrDefault() ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql: install 'postgresql'.");
        var root = Path.Combine(Directory, "pg");
        System.IO.Directory.CreateDirectory(root);
        Run("chown", "postgres", root);
        var first = Path.Combine(root, "a");
        Run("runuser", "-u", "postgres", "--", Path.Combine(binaries, "initdb"), "-D", first, "-U", "postgres", "--auth=trust", "--locale=C", "-N", "--no-instructions");
        // Two servers need two data directories; a copy is much faster than a second initdb.
        var second = Path.Combine(root, "b");
        Run("cp", "-a", first, second);
        foreach (var (data, port) in new[] { (first, 5432), (second, 15432) })
        {
            _network.Start($"postgres-{port}", "runuser", "-u", "postgres", "--", Path.Combine(binaries, "postgres"), "-D", data,
                "-c", "listen_addresses=" + Address, "-c", "port=" + port.ToString(CultureInfo.InvariantCulture), "-c", "unix_socket_directories=" + root,
                "-c", "fsync=off", "-c", "shared_buffers=16MB");
        }
    }

    // The unknown service and the silent one: python3 listeners, one sending a banner nobody has a rule for.
    private void StartOddPorts()
    {
        var script = _network.Write("odd.py", $$"""
            import socket, threading
            def serve(port, banner):
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("{{Address}}", port)); s.listen(64)
                held = []
                while True:
                    c, _ = s.accept()
                    if banner: c.sendall(banner)
                    held.append(c)
            threading.Thread(target=serve, args=({{BannerPort}}, b"HELLO-XYZ 42\r\n"), daemon=True).start()
            serve({{SilentPort}}, b"")
            """);
        _network.Start("odd", "python3", script);
    }

    [GeneratedRegex(@"^(?:\d+:)?([^-~+]+)")]
    private static partial Regex UpstreamPart();
}

/// <summary>One service of the lab and what a fingerprint must say about it.</summary>
public sealed record LabService(int Port, string Service, string Product, string? Version)
{
    /// <summary>The certificate the service presents (directly, or through STARTTLS).</summary>
    public string? Certificate { get; init; }

    public string? Title { get; init; }

    public string? Location { get; init; }
}
