using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Records;
using Outpost.Store.Records.Accounts;
using Outpost.Store.Records.Audit;
using Outpost.Store.Tests.Contract;

namespace Outpost.Store.Tests.Records;

/// <summary>
/// Users, tokens, the second factor's replay guard and the audit log behave the same on SQLite and PostgreSQL: the SQL in
/// <see cref="AccountRepository"/> and <see cref="AuditRepository"/> is written once for both engines, so each rule runs
/// against each.
/// </summary>
public abstract class AccountsAndAuditContract : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private RecordsDatabase? _database;

    private AccountRepository Accounts => new(_database!);

    private AuditRepository Audit => new(_database!);

    protected abstract Task<RecordsDatabase> OpenAsync();

    public async Task InitializeAsync() => _database = await OpenAsync();

    public virtual async Task DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
    }

    [Fact]
    public async Task Users_are_unique_by_name_updated_in_place_and_deleted_with_their_tokens()
    {
        var olga = await Accounts.CreateAsync("olga", UserRole.Operator, UserRecord.LocalSource, "hash-1", T0);
        Assert.NotNull(olga);
        Assert.Null(await Accounts.CreateAsync("olga", UserRole.Viewer, UserRecord.LocalSource, null, T0));
        Assert.Equal(UserRole.Operator, (await Accounts.FindByNameAsync("olga"))!.Role);

        Assert.True(await Accounts.UpdateAsync(olga! with { Role = UserRole.Admin, Disabled = true, TotpSecret = "ABC", TotpEnabled = true }));
        var updated = (await Accounts.FindAsync(olga!.Id))!;
        Assert.Equal((UserRole.Admin, true, "ABC", true), (updated.Role, updated.Disabled, updated.TotpSecret, updated.TotpEnabled));

        var token = await Accounts.CreateTokenAsync(olga.Id, "ci", "HASH-A", T0);
        Assert.Equal("ci", Assert.Single(await Accounts.ListTokensAsync(olga.Id)).Name);
        // A disabled user's token finds nobody.
        Assert.Null(await Accounts.FindByTokenHashAsync("HASH-A"));
        await Accounts.UpdateAsync(updated with { Disabled = false });
        Assert.Equal("olga", (await Accounts.FindByTokenHashAsync("HASH-A"))!.Username);

        Assert.False(await Accounts.DeleteTokenAsync(olga.Id + 1, token.Id));
        Assert.True(await Accounts.DeleteAsync(olga.Id));
        Assert.Null(await Accounts.FindByTokenHashAsync("HASH-A"));
        Assert.Empty(await Accounts.ListTokensAsync(olga.Id));
        Assert.Empty(await Accounts.ListAsync());
    }

    [Fact]
    public async Task A_second_factor_time_step_is_accepted_once_and_never_an_earlier_one_after_it()
    {
        var user = (await Accounts.CreateAsync("tom", UserRole.Viewer, UserRecord.LocalSource, null, T0))!;
        Assert.True(await Accounts.ConsumeTotpStepAsync(user.Id, 100));
        Assert.False(await Accounts.ConsumeTotpStepAsync(user.Id, 100));
        Assert.False(await Accounts.ConsumeTotpStepAsync(user.Id, 99));
        Assert.True(await Accounts.ConsumeTotpStepAsync(user.Id, 101));

        // Two sign-ins racing with one code: exactly one wins.
        var racing = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Accounts.ConsumeTotpStepAsync(user.Id, 102)));
        Assert.Equal(1, racing.Count(won => won));
    }

    [Fact]
    public async Task The_audit_log_searches_newest_first_with_a_cursor_and_prunes_by_age()
    {
        for (var i = 0; i < 5; i++)
        {
            await Audit.AppendAsync(new AuditEntry(0, T0.AddMinutes(i), i % 2 == 0 ? "olga" : null, "operator", "127.0.0.1",
                $"POST /api/scans/{{id}}/stop", $"id={i}", i == 4 ? 409 : 200));
        }

        var newest = await Audit.QueryAsync(null, null, 2);
        Assert.Equal(["id=4", "id=3"], newest.Select(e => e.Target));
        Assert.Equal(409, newest[0].Status);
        Assert.Equal(["id=2", "id=1"], (await Audit.QueryAsync(null, newest[^1].Id, 2)).Select(e => e.Target));
        Assert.Equal(["id=4", "id=2", "id=0"], (await Audit.QueryAsync("OLGA", null, 10)).Select(e => e.Target));
        // LIKE wildcards in the search are literal.
        Assert.Empty(await Audit.QueryAsync("%_", null, 10));

        Assert.Equal(2, await Audit.PruneAsync(T0.AddMinutes(2)));
        var left = new List<string?>();
        await foreach (var entry in Audit.StreamAsync(null)) left.Add(entry.Target);
        Assert.Equal(["id=4", "id=3", "id=2"], left);
    }
}

public sealed class SqliteAccountsAndAuditTests : AccountsAndAuditContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("outpost-accounts-").FullName;

    protected override async Task<RecordsDatabase> OpenAsync() =>
        await RecordsDatabase.OpenSqliteAsync(Path.Combine(_directory, RecordsDatabase.FileName), create: true, NullLoggerFactory.Instance);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class PostgresAccountsAndAuditTests(PostgresDatabase database) : AccountsAndAuditContract, IClassFixture<PostgresDatabase>
{
    protected override async Task<RecordsDatabase> OpenAsync() =>
        await RecordsDatabase.OpenPostgresAsync(await database.FreshSchemaAsync(), NullLoggerFactory.Instance);
}
