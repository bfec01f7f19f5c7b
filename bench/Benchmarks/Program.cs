
// outpost-bench <store|api|probe|fingerprint|inventory> [options]: each benchmark prints its figures and SUMMARY lines against a peer
// measured in the same run.
return args.FirstOrDefault() switch
{
    "store" => await Outpost.Benchmarks.Store.StoreBenchmark.RunAsync(args[1..]),
    "api" => await Outpost.Benchmarks.Api.ApiBenchmark.RunAsync(args[1..]),
    "probe" => await Outpost.Benchmarks.Probe.ProbeBenchmark.RunAsync(args[1..]),
    "fingerprint" => await Outpost.Benchmarks.Fingerprint.FingerprintBenchmark.RunAsync(args[1..]),
    "inventory" => await Outpost.Benchmarks.Inventory.InventoryBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: outpost-bench <store|api|probe|fingerprint|inventory> [options]");
    return 2;
}
