namespace Outpost.Benchmarks.Api;

public static class ApiBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("the Api benchmark is not written yet");
        return Task.FromResult(1);
    }
}
