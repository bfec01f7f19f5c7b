using System.CommandLine;
using Outpost.Probe.Cli;
using Outpost.Probe.Node;

// outpost-probe: the probe engine's command line. Program.cs only wires subcommands; each lives in Cli/.
// `scan` runs one scan; `fingerprint` identifies the services on open ports; the remote scanner node (`node`) joins here as its own subcommand.
var root = new RootCommand("Outpost probe: a stateless SYN scanner and remote scanner node.");
root.Subcommands.Add(ScanCommand.Create());
root.Subcommands.Add(FingerprintCommand.Create());
root.Subcommands.Add(VulnscanCommand.Create());
root.Subcommands.Add(NodeCommand.Create());
// SIGTERM cancels the action's token; a node needs longer than the default 2 s to report what its jobs found.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = NodeCommand.ShutdownTimeout });
