using Outpost.Testing;
using static Outpost.Testing.LabNamespace;

namespace Outpost.Probe.Tests.Vulnscan;

/// <summary>
/// A network namespace (a <see cref="LabNamespace"/>, <c>vs-…</c>, 10.79.N.0/24: daemons at .2, our end of the veth at
/// .1) of real daemons, each misconfigured the way a vulnerability check looks for, next to a correctly configured
/// twin: vsftpd with anonymous logins and no TLS (21) and with TLS and no anonymous logins (2121); sshd offering weak
/// algorithms (2222) and as shipped (22); inetutils telnetd (23); nginx with autoindex, an exposed <c>.git/</c> and
/// stub_status (80) and a twin that denies them (8080); HTTPS with an expired, self-signed, SHA-1, RSA-1024 certificate
/// and TLS 1.0/1.1 (443), with a self-signed certificate that expires in 10 days (8443) and with a certificate from the
/// lab's own CA and HSTS (9443); Redis without (6379) and with a password (16379); memcached without (11211) and with
/// authentication (21211). Certificates are made here with openssl. Daemons run in the foreground inside the namespace;
/// <see cref="DisposeAsync"/> kills everything in it and deletes it and the directory, also after a failure.
/// </summary>
public sealed class VulnLab : IAsyncDisposable
{
    public const string Attribution = "outpost vulnscan tests";

    private readonly LabNamespace _network;

    private VulnLab(LabNamespace network) => _network = network;

    public string Address => _network.Address;

    /// <summary>What each port must raise, and nothing else: the lab's ground truth.</summary>
    public static IReadOnlyDictionary<int, string[]> Expected { get; } = new Dictionary<int, string[]>
    {
        [21] = ["cleartext-ftp", "ftp-anonymous-login"],
        [2121] = [],
        [22] = [],
        [2222] = ["ssh-weak-cipher", "ssh-weak-key-exchange", "ssh-weak-mac"],
        [23] = ["cleartext-telnet"],
        [80] = ["http-directory-listing", "http-git-config-exposed", "http-git-exposed", "http-nginx-stub-status"],
        [8080] = [],
        [443] = ["http-missing-hsts", "tls-1-0-enabled", "tls-1-1-enabled", "tls-certificate-expired", "tls-certificate-self-signed",
            "tls-certificate-wrong-name", "tls-sha1-signature", "tls-weak-rsa-key"],
        [8443] = ["http-missing-hsts", "tls-certificate-expiring", "tls-certificate-self-signed"],
        [9443] = [],
        [6379] = ["redis-no-auth"],
        [16379] = [],
        [11211] = ["memcached-no-auth"],
        [21211] = [],
    };

    /// <summary>nginx's access log of the twin on 8080: user agent and attribution header of every request.</summary>
    public string AccessLog => Path.Combine(Directory, "access.log");

    private string Directory => _network.Directory;

    public static Task<VulnLab> StartAsync(CancellationToken ct = default) =>
        LabNamespace.StartAsync("vs", 79, network => new VulnLab(network), lab => lab.SetUpAsync(ct));

    public ValueTask DisposeAsync() => _network.DisposeAsync();

    private async Task SetUpAsync(CancellationToken ct)
    {
        MakeCertificates();
        StartVsftpd();
        StartSsh();
        StartTelnet();
        StartNginx();
        _network.Start("redis-open", "redis-server", "--port", "6379", "--bind", Address, "--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", Directory);
        _network.Start("redis-auth", "redis-server", "--port", "16379", "--bind", Address, "--requirepass", "lab-secret-42", "--save", "", "--appendonly", "no",
            "--dir", Directory);
        _network.Start("memcached-open", "memcached", "-u", "nobody", "-l", Address, "-p", "11211", "-U", "0");
        var authFile = _network.Write("memcached-auth", "lab:secret42\n");
        Run("chmod", "644", authFile);
        _network.Start("memcached-auth", "memcached", "-u", "nobody", "-l", Address, "-p", "21211", "-U", "0", "-Y", authFile);

        await _network.WaitForListenersAsync(Expected.Keys, TimeSpan.FromSeconds(60), ct);
    }

    private void MakeCertificates()
    {
        var d = Directory;
        // The lab's CA and a certificate it issued for the lab's address: what a correctly configured service presents.
        Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{d}/ca.key", "-out", $"{d}/ca.crt", "-days", "365",
            "-subj", "/CN=Outpost vulnscan lab CA");
        Run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{d}/good.key", "-out", $"{d}/good.csr", "-subj", "/CN=vs-good.test");
        var extensions = _network.Write("good.ext", $"subjectAltName=DNS:vs-good.test,IP:{Address}\n");
        Run("openssl", "x509", "-req", "-in", $"{d}/good.csr", "-CA", $"{d}/ca.crt", "-CAkey", $"{d}/ca.key", "-CAcreateserial", "-days", "200",
            "-sha256", "-extfile", extensions, "-out", $"{d}/good.crt");
        // Everything wrong at once: RSA-1024, SHA-1, self-signed, no name of the address, expired yesterday.
        Run("openssl", "req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", $"{d}/legacy.key", "-out", $"{d}/legacy.csr", "-subj", "/CN=vs-legacy.test");
        Run("openssl", "x509", "-req", "-in", $"{d}/legacy.csr", "-signkey", $"{d}/legacy.key", "-days", "-1", "-sha1", "-out", $"{d}/legacy.crt");
        // Self-signed, names the address, expires in 10 days.
        Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{d}/soon.key", "-out", $"{d}/soon.crt", "-days", "10",
            "-subj", "/CN=vs-soon.test", "-addext", $"subjectAltName=IP:{Address}");
        foreach (var key in new[] { "good.key", "legacy.key", "soon.key" })
        {
            Run("chmod", "644", Path.Combine(d, key));
        }
    }

    private void StartVsftpd()
    {
        var root = Path.Combine(Directory, "ftp");
        System.IO.Directory.CreateDirectory(root);
        Run("chmod", "555", root);
        System.IO.Directory.CreateDirectory("/var/run/vsftpd/empty");
        var common = $"listen=YES\nlisten_address={Address}\nbackground=NO\nwrite_enable=NO\nsecure_chroot_dir=/var/run/vsftpd/empty\n";
        _network.Start("vsftpd-open", "vsftpd", _network.Write("vsftpd-open.conf", common + $"listen_port=21\nanonymous_enable=YES\nanon_root={root}\nno_anon_password=YES\nlocal_enable=NO\n"));
        _network.Start("vsftpd-good", "vsftpd", _network.Write("vsftpd-good.conf", common
            + $"listen_port=2121\nanonymous_enable=NO\nlocal_enable=YES\nssl_enable=YES\nrsa_cert_file={Directory}/good.crt\nrsa_private_key_file={Directory}/good.key\n"
            + "force_local_logins_ssl=YES\nforce_local_data_ssl=YES\nssl_ciphers=HIGH\n"));
    }

    private void StartSsh()
    {
        var key = Path.Combine(Directory, "ssh_host_ed25519_key");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key);
        System.IO.Directory.CreateDirectory("/run/sshd");
        var common = $"ListenAddress {Address}\nHostKey {key}\nUsePAM no\n";
        _network.Start("sshd-good", "/usr/sbin/sshd", "-f", _network.Write("sshd-good", common + $"Port 22\nPidFile {Directory}/sshd-good.pid\n"), "-D", "-e");
        _network.Start("sshd-weak", "/usr/sbin/sshd", "-f", _network.Write("sshd-weak", common + $"Port 2222\nPidFile {Directory}/sshd-weak.pid\n"
            + "KexAlgorithms +diffie-hellman-group1-sha1\nCiphers +3des-cbc,aes128-cbc\nMACs +hmac-md5\n"), "-D", "-e");
    }

    // telnetd is an inetd service: a small acceptor hands each connection to it as stdin/stdout (login refused by
    // /bin/false: the check needs the service's negotiation, never a session).
    private void StartTelnet() => _network.Start("telnetd", "python3", _network.Write("inetd.py", $$"""
        import socket, subprocess
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("{{Address}}", 23)); s.listen(16)
        while True:
            c, _ = s.accept()
            subprocess.Popen(["/usr/sbin/telnetd", "-h", "-E", "/bin/false"], stdin=c, stdout=c, stderr=subprocess.DEVNULL)
            c.close()
        """));

    private void StartNginx()
    {
        var d = Directory;
        var open = Path.Combine(d, "www-open");
        var good = Path.Combine(d, "www-good");
        foreach (var root in new[] { open, good })
        {
            System.IO.Directory.CreateDirectory(Path.Combine(root, ".git"));
            File.WriteAllText(Path.Combine(root, ".git", "HEAD"), "ref: refs/heads/main\n");
            File.WriteAllText(Path.Combine(root, ".git", "config"), "[core]\n\trepositoryformatversion = 0\n\tbare = false\n");
            File.WriteAllText(Path.Combine(root, "notes.txt"), "lab\n");
        }

        File.WriteAllText(Path.Combine(good, "index.html"), "<html><head><title>Outpost vulnscan lab</title></head><body>lab</body></html>\n");
        _network.StartNginx($$"""
              log_format lab '"$http_user_agent" "$http_x_scan_attribution"';
              server { listen {{Address}}:80; root {{open}}; autoindex on; location = /nginx_status { stub_status; } }
              server { listen {{Address}}:8080; root {{good}}; access_log {{d}}/access.log lab; location ~ /\. { return 404; } }
              server { listen {{Address}}:443 ssl; ssl_certificate {{d}}/legacy.crt; ssl_certificate_key {{d}}/legacy.key;
                       ssl_protocols TLSv1 TLSv1.1 TLSv1.2; ssl_ciphers DEFAULT:@SECLEVEL=0; root {{good}}; location ~ /\. { return 404; } }
              server { listen {{Address}}:8443 ssl; ssl_certificate {{d}}/soon.crt; ssl_certificate_key {{d}}/soon.key; root {{good}};
                       location ~ /\. { return 404; } }
              server { listen {{Address}}:9443 ssl; ssl_certificate {{d}}/good.crt; ssl_certificate_key {{d}}/good.key; root {{good}};
                       add_header Strict-Transport-Security "max-age=31536000" always; location ~ /\. { return 404; } }
            """);
    }
}
