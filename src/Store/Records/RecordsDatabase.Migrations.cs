using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace Outpost.Store.Records;

// Applying the schema: named steps, each committed together with its row in records_migrations.
public sealed partial class RecordsDatabase
{
    /// <summary>
    /// Applies the steps not yet recorded, in list order, each in its own transaction with its id's row, so a crash
    /// half-way leaves whole steps. On PostgreSQL several nodes may start at once: the check-and-apply runs under an
    /// advisory lock, and the nodes that wait find nothing left to do. A database that has applied a step this build
    /// does not know was migrated by a newer build: it is refused rather than used with a schema we cannot read.
    /// </summary>
    private async Task MigrateAsync(IReadOnlyList<Migration> migrations, ILogger logger, CancellationToken ct)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var migration in migrations)
        {
            if (!ids.Add(migration.Id)) throw new InvalidOperationException($"The records migration id '{migration.Id}' is used twice.");
        }

        if (Engine == RecordsEngine.Postgres)
        {
            // A session lock, held across the steps' own transactions, on a connection of its own.
            await using var lockConnection = await OpenReaderAsync(ct).ConfigureAwait(false);
            await ExecuteAsync(lockConnection, null, $"SELECT pg_advisory_lock({RecordsDialect.PostgresMigrationLock})", ct).ConfigureAwait(false);
            try
            {
                await ApplyAsync(migrations, ids, logger, ct).ConfigureAwait(false);
            }
            finally
            {
                await ExecuteAsync(lockConnection, null, $"SELECT pg_advisory_unlock({RecordsDialect.PostgresMigrationLock})", CancellationToken.None).ConfigureAwait(false);
            }
        }
        else
        {
            await ApplyAsync(migrations, ids, logger, ct).ConfigureAwait(false);
        }
    }

    private async Task ApplyAsync(IReadOnlyList<Migration> migrations, HashSet<string> known, ILogger logger, CancellationToken ct)
    {
        var applied = await WriteAsync(async (connection, transaction, token) =>
        {
            await ExecuteAsync(connection, transaction, RecordsDialect.MigrationsTable, token).ConfigureAwait(false);
            var ids = new HashSet<string>(StringComparer.Ordinal);
            await using var read = connection.Command("SELECT id FROM records_migrations", transaction);
            await using var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false)) ids.Add(reader.GetString(0));
            return (true, ids);
        }, ct).ConfigureAwait(false);

        var unknown = applied.Where(id => !known.Contains(id)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException($"The records database ({Where}) has migrations this build does not know " +
                $"({string.Join(", ", unknown)}): it was written by a newer version. Upgrade this node.");
        }

        foreach (var migration in migrations)
        {
            if (applied.Contains(migration.Id)) continue;
            await WriteAsync(async (connection, transaction, token) =>
            {
                await ExecuteAsync(connection, transaction, migration.For(Engine), token).ConfigureAwait(false);
                await using var record = connection.Command("INSERT INTO records_migrations (id, applied_at) VALUES (@id, @at)", transaction)
                    .With("@id", migration.Id)
                    .With("@at", RecordsCommands.Microseconds(DateTimeOffset.UtcNow));
                await record.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                return (true, 0);
            }, ct).ConfigureAwait(false);
            LogApplied(logger, migration.Id, Where);
        }
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = connection.Command(sql, transaction);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "records database: applied migration {Id} ({Where})")]
    private static partial void LogApplied(ILogger logger, string id, string where);
}
