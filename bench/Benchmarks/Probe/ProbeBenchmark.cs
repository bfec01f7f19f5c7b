namespace Outpost.Benchmarks.Probe;

public static class ProbeBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("the Probe benchmark is not written yet");
        return Task.FromResult(1);
    }
}
