using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Model;

namespace Outpost.Store.Tests;

public class CheckpointTests
{
    [Fact]
    public async Task A_checkpoint_of_an_empty_job_log_completes_and_work_continues()
    {
        var dir = Path.Combine(Path.GetTempPath(), "outpost-cp-" + Guid.NewGuid().ToString("N"));
        var options = TempStore.Options(dir) with { CheckpointInterval = TimeSpan.FromMilliseconds(50) };
        await using var store = await FasterOutpostStore.OpenAsync(options, NullLoggerFactory.Instance);
        // The scanner is a durable change, so the background checkpointer (every 50 ms) writes a checkpoint of the
        // still empty job log; the test waits for that one instead of sleeping and hoping.
        var checkpointed = store.NextCheckpoint;
        var scanner = await store.CreateScannerAsync("s", new byte[32], [], null, DateTimeOffset.UtcNow);
        await checkpointed.WaitAsync(TimeSpan.FromSeconds(30));
        var spec = new ScanSpec { Name = "x", Targets = ["10.77.0.1"], Ports = "22", ScannerIds = [scanner.Id] };
        var create = store.CreateScanAsync(spec, ScanStatus.Running, [new NewJob(scanner.Id, "portscan", [new JobTarget("10.77.0.1", "22")], 10)], DateTimeOffset.UtcNow).AsTask();
        Assert.Same(create, await Task.WhenAny(create, Task.Delay(5000)));
    }
}
