namespace Outpost.Appliance.Tests.Infrastructure;

/// <summary>A fresh directory under /tmp, removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "outpost-test-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying process: /tmp is cleaned eventually.
        }
    }

    /// <summary>
    /// The config every test daemon uses: a small store, logs at warning, no timed sweeps (tests sweep themselves),
    /// and no built-in scanner (tests that want it turn it on), so scanner lists and ids are the test's own. No reverse
    /// DNS either: the lab addresses have no PTR records and the test machine's resolver is not to be asked about them
    /// (<c>ReverseDnsTests</c> turns it on for loopback, which /etc/hosts names).
    /// <paramref name="scanners"/> replaces the <c>Scanners</c> section (timeouts, sweep, lease grace) as JSON. When the built-in scanner is on, it
    /// may probe loopback, where the tests' services listen.
    /// </summary>
    public string WriteTestConfig(bool builtInScanner = false, string? scanners = null)
    {
        var path = System.IO.Path.Combine(Path, "outpost.json");
        File.WriteAllText(path, $$"""
            {
              "Outpost": {
                "Store": { "JobMemorySizeBits": 24, "JobIndexBuckets": 16384, "BlobMemorySizeBits": 23, "BlobIndexBuckets": 16384 },
                "Scanners": {{scanners ?? "{ \"SweepInterval\": \"1.00:00:00\" }"}},
                "BuiltInScanner": { "Enabled": {{(builtInScanner ? "true" : "false")}}, "AllowLoopback": true },
                "Inventory": { "ReverseDns": { "Enabled": false } }
              },
              "Logging": { "LogLevel": { "Default": "Warning", "Microsoft.Hosting.Lifetime": "Information", "Outpost": "Information" } }
            }
            """);
        return path;
    }
}
