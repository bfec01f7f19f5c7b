namespace Outpost.Benchmarks.Store;

public static class StoreBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("the Store benchmark is not written yet");
        return Task.FromResult(1);
    }
}
