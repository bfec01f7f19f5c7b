using System.CommandLine;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// <c>outpost [--data-dir DIR] [--urls URL] [--config FILE]</c> runs the daemon; <c>--version</c> and <c>--help</c> come
/// with the root command. Subcommands (the self-test, <c>store verify</c>, <c>backup</c>, <c>restore</c>) are added here.
/// </summary>
public static class OutpostCommandLine
{
    public static RootCommand Create(StoreOpener openStore)
    {
        var dataDirectory = new Option<string?>("--data-dir")
        {
            Description = "State directory: store, TLS certificate, admin token (default /var/lib/outpost).",
            Recursive = true,
        };
        var urls = new Option<string?>("--urls")
        {
            Description = "Listen URLs separated by ';', such as http://127.0.0.1:8080 (default https://*:443).",
            Recursive = true,
        };
        var config = new Option<string?>("--config")
        {
            Description = $"Config file (default {OutpostConfiguration.InstalledConfigFile} when present).",
            Recursive = true,
        };
        var root = new RootCommand("The Outpost appliance daemon: scanner job protocol, admin API and web UI.") { dataDirectory, urls, config };
        root.SetAction((parse, _) =>
            OutpostApp.RunAsync(new StartupArguments(parse.GetValue(dataDirectory), parse.GetValue(urls), parse.GetValue(config)), openStore));

        // The options above are recursive, so `outpost selftest --data-dir DIR --config FILE` checks that installation.
        var selfTest = new Command("selftest", "Check libpcap, capabilities, the data directory and the store; exit non-zero on a problem.");
        selfTest.SetAction((parse, ct) => SelfTest.RunAsync(
            new StartupArguments(parse.GetValue(dataDirectory), parse.GetValue(urls), parse.GetValue(config)), openStore, Console.Out, ct));
        root.Subcommands.Add(selfTest);

        var store = new Command("store", "Operate the embedded store.");
        var verify = new Command("verify", "Explain the data directory's store in plain words; exit 0 when it recovers completely, non-zero otherwise.");
        verify.SetAction((parse, ct) => StoreCommands.VerifyAsync(
            new StartupArguments(parse.GetValue(dataDirectory), parse.GetValue(urls), parse.GetValue(config)), Console.Out, ct));
        store.Subcommands.Add(verify);
        root.Subcommands.Add(store);

        var backupDirectory = new Argument<string>("DIR") { Description = "A new or empty directory for the copy." };
        var url = new Option<string?>("--url") { Description = "The daemon's address (default: its first listen URL, on loopback)." };
        var backup = new Command("backup", "Take a consistent copy of the running appliance's data into DIR.") { backupDirectory, url };
        backup.SetAction((parse, ct) => StoreBackup.BackupCommandAsync(
            new StartupArguments(parse.GetValue(dataDirectory), parse.GetValue(urls), parse.GetValue(config)), parse.GetValue(backupDirectory)!, parse.GetValue(url), Console.Out, ct));
        root.Subcommands.Add(backup);

        var restoreDirectory = new Argument<string>("DIR") { Description = "A directory written by `outpost backup`." };
        var restore = new Command("restore", "Put a backup back in place (daemon stopped); what it replaces is kept aside.") { restoreDirectory };
        restore.SetAction((parse, ct) => StoreBackup.RestoreCommandAsync(
            new StartupArguments(parse.GetValue(dataDirectory), parse.GetValue(urls), parse.GetValue(config)), parse.GetValue(restoreDirectory)!, Console.Out, ct));
        root.Subcommands.Add(restore);
        return root;
    }

    /// <summary>The host handles SIGTERM itself (draining requests); the parser must not install its own handler.</summary>
    public static InvocationConfiguration Invocation { get; } = new() { ProcessTerminationTimeout = null };
}
