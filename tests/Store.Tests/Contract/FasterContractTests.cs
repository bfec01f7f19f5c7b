using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;

namespace Outpost.Store.Tests.Contract;

/// <summary>The contract on the embedded FASTER store, each test on a fresh temp directory.</summary>
public sealed class FasterContractTests : StoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "outpost-contract-" + Guid.NewGuid().ToString("N"));

    protected override async Task<IOutpostStore> OpenAsync() =>
        await FasterOutpostStore.OpenAsync(TempStore.Options(_directory), NullLoggerFactory.Instance);

    protected override Task CleanUpAsync()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }
}
