using System.Diagnostics;
using System.Net;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Testing;

namespace Outpost.Probe.Tests.Fingerprint;

/// <summary>One lab of real daemons for the class, fingerprinted once (the tests read that one run's results).</summary>
public sealed class ServiceLabFixture : IAsyncLifetime
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private ServiceLab? _lab;

    public ServiceLab Lab => _lab ?? throw new InvalidOperationException("The lab did not start.");

    public IReadOnlyDictionary<int, ServiceFingerprint> Results { get; private set; } = new Dictionary<int, ServiceFingerprint>();

    public static FingerprintOptions Options => new()
    {
        ConnectTimeout = Timeout,
        ReadTimeout = Timeout,
        MaxConnectionsPerHost = 16,
        UserAgent = "outpost-probe-tests",
    };

    public async Task InitializeAsync()
    {
        _lab = await ServiceLab.StartAsync();
        Results = (await FingerprintAsync(Lab.AllPorts, Options)).ToDictionary(f => f.Port);
    }

    public async Task<List<ServiceFingerprint>> FingerprintAsync(IEnumerable<int> ports, FingerprintOptions options)
    {
        var address = IPAddress.Parse(Lab.Address);
        var results = new List<ServiceFingerprint>();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var fingerprint in ServiceFingerprinter.FingerprintAsync([.. ports.Select(p => (address, p))], options, limit.Token))
        {
            results.Add(fingerprint);
        }

        return results;
    }

    public async Task DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }

    /// <summary>Runs outpost-probe (the build next to the tests) inside nothing but its own process; returns exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunProbe(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "outpost-probe.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("outpost-probe fingerprint did not finish in 60 s");
        }

        return (process.ExitCode, stdout, stderr.Result);
    }
}
