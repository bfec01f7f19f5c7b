using Outpost.Store.Model;
using Outpost.Store.Queries;

namespace Outpost.Store.Tests.Contract;

// Search by address, two expressions of one rule: the ranges are computed once in C# (Queries/AddressRanges.cs) and
// matched by FASTER in C# (FasterOutpostStore.Queries.cs: Matches, the Ranges blob) and by PostgreSQL in SQL
// (PostgresOutpostStore.Queries.cs: WindowSql, address_ranges @> ANY).
public abstract partial class StoreContract
{
    [Fact]
    public async Task The_jobs_query_finds_jobs_whose_targets_contain_an_address()
    {
        var scanner = await ScannerAsync();
        var spec = new ScanSpec { Name = "sweep", Targets = ["10.0.0.0/8"], Ports = "22", ScannerIds = [scanner.Id] };
        var scan = await Store.CreateScanAsync(spec, ScanStatus.Running,
        [
            new NewJob(scanner.Id, "portscan", [new JobTarget("10.0.0.0/20", "22")], 100),
            new NewJob(scanner.Id, "portscan", [new JobTarget("10.0.16.0/20", "22"), new JobTarget("10.0.5.1-10.0.5.9", "80")], 100),
            new NewJob(scanner.Id, "portscan", [new JobTarget("192.168.1.7", "22")], 100),
            new NewJob(scanner.Id, "portscan", [new JobTarget("0.0.0.0/0", "443")], 100),
        ], Now);
        var ids = Store.ListScanJobs(scan.Id).Select(j => j.JobId).ToArray();
        var window = new JobQuery { Since = T0.AddDays(-1) };

        long[] Containing(params string[] addresses) =>
        [
            .. Store.QueryJobs(window with
            {
                Addresses = [.. addresses.Select(a => AddressRanges.TryParseAddress(a, out var parsed) ? parsed : throw new FormatException(a))],
            }).Jobs.Select(j => j.JobId),
        ];

        Assert.Equal(new[] { ids[3], ids[1], ids[0] }, Containing("10.0.5.7"));
        Assert.Equal(new[] { ids[3], ids[0] }, Containing("10.0.15.255"));
        Assert.Equal(new[] { ids[3], ids[1] }, Containing("10.0.16.0"));
        Assert.Equal(new[] { ids[3], ids[2] }, Containing("192.168.1.7"));
        Assert.Equal(new[] { ids[3] }, Containing("192.168.1.8"));
        Assert.Equal(new[] { ids[3], ids[2], ids[0] }, Containing("192.168.1.7", "10.0.0.1"));

        // The address and the text match either way, and the counts cover what matched.
        var both = Store.QueryJobs(window with { Text = "192.168", Addresses = [AddressRanges.TryParseAddress("10.0.20.1", out var a) ? a : 0] });
        Assert.Equal(new[] { ids[3], ids[2], ids[1] }, both.Jobs.Select(j => j.JobId));
        Assert.Equal(new StatusCounts(3, 0, 0, 0, 0), both.Counts);

        // A re-run covers the same addresses as the job it re-runs.
        var first = await ClaimOneAsync(scanner);
        await Store.StartAsync(scanner.Id, first.JobId, Now);
        await Store.CompleteAsync(scanner.Id, first.JobId, false, 0, null, Now);
        var (status, rerun) = await Store.RerunAsync(ids[0], Now);
        Assert.Equal(StoreStatus.Ok, status);
        Assert.Equal(new[] { rerun!.JobId, ids[3], ids[1], ids[0] }, Containing("10.0.5.7"));
    }
}
