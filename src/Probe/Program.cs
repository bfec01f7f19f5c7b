using System.CommandLine;
using Outpost.Probe.Cli;

// outpost-probe: the probe engine's command line. Program.cs only wires subcommands; each lives in Cli/.
// `scan` runs one scan; the remote scanner node (`node`) joins here as its own subcommand.
var root = new RootCommand("Outpost probe: a stateless SYN scanner and remote scanner node.");
root.Subcommands.Add(ScanCommand.Create());
return await root.Parse(args).InvokeAsync();
