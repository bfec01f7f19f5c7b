using Npgsql;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// The peer: the seed's design on PostgreSQL — pending jobs claimed with FOR UPDATE SKIP LOCKED through a
/// partial index on queued jobs, each lifecycle step its own transaction, synchronous_commit on. One worker is
/// one client connection (a connection runs one transaction at a time).
/// </summary>
internal sealed class PostgresPeerBackend(string connectionString) : ILifecycleBackend
{
    private NpgsqlDataSource _dataSource = null!;

    public async Task PrepareAsync(int workers, int jobsPerWorker)
    {
        _dataSource = new NpgsqlDataSourceBuilder(connectionString + $";Maximum Pool Size={workers + 4}").Build();
        await using var connection = await _dataSource.OpenConnectionAsync();
        await Execute(connection, """
            DROP TABLE IF EXISTS jobs;
            CREATE TABLE jobs (
                id bigserial PRIMARY KEY,
                scanner_id bigint NOT NULL,
                status text NOT NULL,
                progress bigint NOT NULL DEFAULT 0,
                results bigint NOT NULL DEFAULT 0,
                targets jsonb NOT NULL,
                claimed_at timestamptz, started_at timestamptz, finished_at timestamptz);
            CREATE INDEX jobs_queued ON jobs (scanner_id, id) WHERE status = 'queued';
            """);
        await Execute(connection, $$"""
            INSERT INTO jobs (scanner_id, status, targets)
            SELECT g % {{workers}}, 'queued', '[{"cidr":"10.0.0.0/24","ports":"22,80,443"}]'
            FROM generate_series(0, {{(long)workers * jobsPerWorker - 1}}) g;
            ANALYZE jobs;
            """);
    }

    public async Task<long?> ClaimOneAsync(int worker)
    {
        await using var command = _dataSource.CreateCommand("""
            UPDATE jobs SET status = 'claimed', claimed_at = now()
            WHERE id IN (SELECT id FROM jobs WHERE scanner_id = $1 AND status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, targets
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = worker });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? reader.GetInt64(0) : null;
    }

    public Task StartAsync(int worker, long jobId) =>
        Step("UPDATE jobs SET status = 'running', started_at = now() WHERE id = $1 AND scanner_id = $2 AND status = 'claimed'", worker, jobId);

    public Task ProgressAsync(int worker, long jobId, long progress, long results) =>
        Step($"UPDATE jobs SET progress = GREATEST(progress, {progress}), results = GREATEST(results, {results}) WHERE id = $1 AND scanner_id = $2 AND status = 'running'", worker, jobId);

    public Task CompleteAsync(int worker, long jobId) =>
        Step("UPDATE jobs SET status = 'completed', finished_at = now() WHERE id = $1 AND scanner_id = $2 AND status = 'running'", worker, jobId);

    private async Task Step(string sql, int worker, long jobId)
    {
        await using var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = jobId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = worker });
        if (await command.ExecuteNonQueryAsync() != 1) throw new InvalidOperationException($"lifecycle step refused for job {jobId}");
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null) await _dataSource.DisposeAsync();
    }
}
