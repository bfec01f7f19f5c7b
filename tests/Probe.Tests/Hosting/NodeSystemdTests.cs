using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Outpost.Probe.Tests.Hosting;

/// <summary>
/// <c>outpost-probe node</c> as systemd sees it (Type=notify, WatchdogSec=): ready once its loop runs even while the
/// appliance is unreachable, watchdog pings during the backoff, STOPPING=1 and a clean exit on SIGTERM.
/// </summary>
public sealed partial class NodeSystemdTests
{
    [Fact]
    public async Task The_node_notifies_ready_watchdog_and_stopping_and_exits_cleanly_on_sigterm()
    {
        var directory = Directory.CreateTempSubdirectory("outpost-probe-node-");
        try
        {
            var socketPath = Path.Combine(directory.FullName, "notify.sock");
            using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            notify.Bind(new UnixDomainSocketEndPoint(socketPath));
            var config = Path.Combine(directory.FullName, "probe.json");
            await File.WriteAllTextAsync(config, "{}");

            // Port 9 on loopback refuses connections: the node stays in its backoff for the whole test.
            var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "outpost-probe"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { ["NOTIFY_SOCKET"] = socketPath, ["WATCHDOG_USEC"] = "400000" },
            };
            foreach (var arg in new[] { "node", "--appliance", "http://127.0.0.1:9", "--api-key", "k", "--poll-interval", "5", "--config", config, "--insecure-http" })
            {
                info.ArgumentList.Add(arg);
            }

            using var node = Process.Start(info)!;
            var stderr = node.StandardError.ReadToEndAsync();
            try
            {
                var messages = new List<string>();
                await ReceiveUntilAsync(notify, messages, "READY=1");
                // Two pings: the first comes with the loop's start, the second proves the backoff wait does not outlast the period.
                await ReceiveUntilAsync(notify, messages, "WATCHDOG=1", count: 2);
                Assert.Equal(0, SendSignal(node.Id, 15));
                await ReceiveUntilAsync(notify, messages, "STOPPING=1");
                using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await node.WaitForExitAsync(exit.Token);
                Assert.True(node.ExitCode == 0, await stderr);
                Assert.Contains("node stopped", await stderr, StringComparison.Ordinal);
            }
            finally
            {
                if (!node.HasExited)
                {
                    node.Kill();
                }
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task ReceiveUntilAsync(Socket socket, List<string> messages, string wanted, int count = 1)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        while (messages.Count(m => m.Split('\n').Contains(wanted)) < count)
        {
            var length = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            messages.Add(Encoding.UTF8.GetString(buffer, 0, length));
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
