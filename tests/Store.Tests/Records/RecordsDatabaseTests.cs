using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Records;
using Outpost.Store.Tests.Contract;

namespace Outpost.Store.Tests.Records;

/// <summary>The records database on both engines: named migrations apply once, in order, and survive reopening.</summary>
public abstract class RecordsDatabaseContract : IAsyncLifetime
{
    private static readonly Migration[] TestSchema =
    [
        .. RecordsSchema.All,
        new("test-1", "CREATE TABLE test_notes (id bigint NOT NULL PRIMARY KEY, body text NOT NULL)"),
        new("test-2", Sqlite: "ALTER TABLE test_notes ADD COLUMN at bigint", Postgres: "ALTER TABLE test_notes ADD COLUMN at bigint NULL"),
    ];

    protected abstract Task<RecordsDatabase> OpenAsync(IReadOnlyList<Migration> migrations);

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Migrations_apply_once_in_order_and_reopening_applies_nothing_again()
    {
        await using (var first = await OpenAsync(TestSchema))
        {
            await first.WriteAsync(async (connection, transaction, ct) =>
            {
                await using var insert = connection.Command("INSERT INTO test_notes (id, body, at) VALUES (@id, @body, @at)", transaction)
                    .With("@id", 1L).With("@body", "kept").With("@at", 5L);
                return (true, await insert.ExecuteNonQueryAsync(ct));
            });
        }

        await using var again = await OpenAsync(TestSchema);
        var (ids, body) = await again.ReadAsync(async (connection, ct) =>
        {
            var ids = new List<string>();
            await using (var read = connection.Command("SELECT id FROM records_migrations ORDER BY applied_at, id"))
            await using (var reader = await read.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
            await using var note = connection.Command("SELECT body FROM test_notes WHERE id = @id").With("@id", 1L);
            return (ids, (string?)await note.ExecuteScalarAsync(ct));
        });
        Assert.Equal(TestSchema.Select(m => m.Id).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.Equal("kept", body);
    }

    [Fact]
    public async Task A_database_migrated_by_a_newer_build_is_refused()
    {
        await using (await OpenAsync(TestSchema))
        {
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await OpenAsync(RecordsSchema.All));
        Assert.Contains("test-2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_write_changes_nothing()
    {
        await using var database = await OpenAsync(TestSchema);
        var result = await database.WriteAsync(async (connection, transaction, ct) =>
        {
            await using var insert = connection.Command("INSERT INTO test_notes (id, body) VALUES (@id, @body)", transaction).With("@id", 7L).With("@body", "no");
            await insert.ExecuteNonQueryAsync(ct);
            return (false, "refused");
        });
        Assert.Equal("refused", result);
        var count = await database.ReadAsync(async (connection, ct) =>
        {
            await using var read = connection.Command("SELECT count(*) FROM test_notes");
            return Convert.ToInt64(await read.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        });
        Assert.Equal(0, count);
    }
}

public sealed class SqliteRecordsDatabaseTests : RecordsDatabaseContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("outpost-records-").FullName;

    protected override async Task<RecordsDatabase> OpenAsync(IReadOnlyList<Migration> migrations) =>
        await RecordsDatabase.OpenSqliteAsync(Path.Combine(_directory, RecordsDatabase.FileName), create: true, NullLoggerFactory.Instance, migrations);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_data_directory_from_before_records_gets_a_records_database_and_the_store_still_opens()
    {
        // The old shape: a job store written and closed, no records.db and no marker beside it.
        var storeOptions = TempStore.Options(Path.Combine(_directory, "store"));
        await (await FasterOutpostStore.OpenAsync(storeOptions, NullLoggerFactory.Instance)).DisposeAsync();
        Assert.False(File.Exists(Path.Combine(_directory, RecordsDatabase.FileName)));
        Assert.False(File.Exists(Path.Combine(_directory, RecordsDatabase.MarkerName)));

        await using (var records = await RecordsDatabase.OpenEmbeddedAsync(_directory, freshDataDirectory: false, NullLoggerFactory.Instance))
        await using (await FasterOutpostStore.OpenAsync(storeOptions, NullLoggerFactory.Instance))
        {
            Assert.True(RecordsDatabase.Verify(records.Where).Sound);
        }

        Assert.True(File.Exists(Path.Combine(_directory, RecordsDatabase.MarkerName)));
    }

    [Fact]
    public async Task Once_created_a_missing_embedded_file_is_damage_named_in_the_refusal()
    {
        await using (await RecordsDatabase.OpenEmbeddedAsync(_directory, freshDataDirectory: true, NullLoggerFactory.Instance))
        {
        }

        // Once created, it opens whether or not a store is beside it.
        await using (var reopened = await RecordsDatabase.OpenEmbeddedAsync(_directory, freshDataDirectory: false, NullLoggerFactory.Instance))
        {
            Assert.True(RecordsDatabase.Verify(reopened.Where).Sound);
        }

        var path = Path.Combine(_directory, RecordsDatabase.FileName);
        foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await RecordsDatabase.OpenEmbeddedAsync(_directory, freshDataDirectory: false, NullLoggerFactory.Instance));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_is_refused_naming_it_and_verify_says_why()
    {
        var path = Path.Combine(_directory, RecordsDatabase.FileName);
        await File.WriteAllBytesAsync(path, [.. Enumerable.Repeat((byte)0x5A, 8192)]);
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await RecordsDatabase.OpenEmbeddedAsync(_directory, freshDataDirectory: false, NullLoggerFactory.Instance));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        var check = RecordsDatabase.Verify(path);
        Assert.False(check.Sound);
        Assert.Contains("cannot be read", check.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backup_taken_while_open_is_a_sound_copy_with_the_committed_rows()
    {
        await using var database = await OpenAsync(TestSchemaWithNotes);
        for (var i = 1L; i <= 100; i++)
        {
            var id = i;
            await database.WriteAsync(async (connection, transaction, ct) =>
            {
                await using var insert = connection.Command("INSERT INTO test_notes (id, body) VALUES (@id, 'n')", transaction).With("@id", id);
                return (true, await insert.ExecuteNonQueryAsync(ct));
            });
        }

        var backup = Path.Combine(_directory, "backup");
        await database.BackupToAsync(backup, CancellationToken.None);
        var copy = Path.Combine(backup, RecordsDatabase.FileName);
        Assert.Equal(new RecordsFileCheck(copy, true, "sound"), RecordsDatabase.Verify(copy));
        await using var restored = await RecordsDatabase.OpenSqliteAsync(copy, create: false, NullLoggerFactory.Instance, TestSchemaWithNotes);
        var count = await restored.ReadAsync(async (connection, ct) =>
        {
            await using var read = connection.Command("SELECT count(*) FROM test_notes");
            return Convert.ToInt64(await read.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        });
        Assert.Equal(100, count);
    }

    private static readonly Migration[] TestSchemaWithNotes =
        [.. RecordsSchema.All, new("test-1", "CREATE TABLE test_notes (id bigint NOT NULL PRIMARY KEY, body text NOT NULL)")];
}

public sealed class PostgresRecordsDatabaseTests(PostgresDatabase database) : RecordsDatabaseContract, IClassFixture<PostgresDatabase>
{
    private string? _connectionString;

    protected override async Task<RecordsDatabase> OpenAsync(IReadOnlyList<Migration> migrations) =>
        await RecordsDatabase.OpenPostgresAsync(_connectionString ??= await database.FreshSchemaAsync(), NullLoggerFactory.Instance, migrations);
}
