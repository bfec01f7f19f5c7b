using Npgsql;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// The peer as <c>pgbench</c> would drive a queue table: one connection per client held for the whole run, every
/// statement prepared once on it, a partial index of queued jobs, and each lifecycle step one autocommitted statement
/// with <c>synchronous_commit = on</c> (so every step waits for its WAL flush, as Outpost's acknowledgements do).
/// One worker is one client with one lifecycle at a time. It keeps no scans and decides nothing beyond the WHERE
/// clause: the plain-table ceiling Outpost's PostgreSQL backend is measured against (docs/performance.md).
/// </summary>
internal sealed class PgbenchStylePeer(string connectionString) : ILifecycleBackend
{
    private Client[] _clients = [];

    public async Task PrepareAsync(int workers, int jobsPerWorker)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Options = "-c synchronous_commit=on" };
        await using (var setup = new NpgsqlConnection(builder.ConnectionString))
        {
            await setup.OpenAsync();
            await using var create = new NpgsqlCommand($$"""
                DROP TABLE IF EXISTS queue;
                CREATE TABLE queue (
                    id bigserial PRIMARY KEY,
                    client int NOT NULL,
                    status text NOT NULL,
                    progress bigint NOT NULL DEFAULT 0,
                    results bigint NOT NULL DEFAULT 0,
                    targets jsonb NOT NULL,
                    claimed_at timestamptz, started_at timestamptz, finished_at timestamptz);
                INSERT INTO queue (client, status, targets)
                SELECT g % {{workers}}, 'queued', '[{"cidr":"10.0.0.0/24","ports":"22,80,443"}]'
                FROM generate_series(0, {{(long)workers * jobsPerWorker - 1}}) g;
                CREATE INDEX queue_queued ON queue (client, id) WHERE status = 'queued';
                ANALYZE queue;
                """, setup);
            await create.ExecuteNonQueryAsync();
        }

        _clients = new Client[workers];
        for (var w = 0; w < workers; w++) _clients[w] = await Client.OpenAsync(builder.ConnectionString, w);
    }

    public async Task<long?> ClaimOneAsync(int worker)
    {
        var client = _clients[worker];
        await using var reader = await client.Claim.ExecuteReaderAsync();
        return await reader.ReadAsync() ? reader.GetInt64(0) : null;
    }

    public Task StartAsync(int worker, long jobId) => Client.StepAsync(_clients[worker].Start, jobId);

    public Task ProgressAsync(int worker, long jobId, long progress, long results) => Client.StepAsync(_clients[worker].Progress, jobId);

    public Task CompleteAsync(int worker, long jobId) => Client.StepAsync(_clients[worker].Complete, jobId);

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) await client.Connection.DisposeAsync();
    }

    /// <summary>One client: its connection and its four prepared statements.</summary>
    private sealed class Client
    {
        public required NpgsqlConnection Connection { get; init; }
        public required NpgsqlCommand Claim { get; init; }
        public required NpgsqlCommand Start { get; init; }
        public required NpgsqlCommand Progress { get; init; }
        public required NpgsqlCommand Complete { get; init; }

        public static async Task<Client> OpenAsync(string connectionString, int worker)
        {
            var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var claim = new NpgsqlCommand("""
                UPDATE queue SET status = 'claimed', claimed_at = now()
                WHERE id = (SELECT id FROM queue WHERE client = $1 AND status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, targets
                """, connection);
            claim.Parameters.Add(new NpgsqlParameter<int> { TypedValue = worker });
            var client = new Client
            {
                Connection = connection,
                Claim = claim,
                Start = Step(connection, worker, "status = 'running', started_at = now()", "claimed"),
                Progress = Step(connection, worker, "progress = greatest(progress, 100), results = greatest(results, 3)", "running"),
                Complete = Step(connection, worker, "status = 'completed', finished_at = now()", "running"),
            };
            foreach (var command in new[] { client.Claim, client.Start, client.Progress, client.Complete }) await command.PrepareAsync();
            return client;
        }

        private static NpgsqlCommand Step(NpgsqlConnection connection, int worker, string set, string from)
        {
            var command = new NpgsqlCommand($"UPDATE queue SET {set} WHERE id = $1 AND client = $2 AND status = '{from}'", connection);
            command.Parameters.Add(new NpgsqlParameter<long>());
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = worker });
            return command;
        }

        public static async Task StepAsync(NpgsqlCommand command, long jobId)
        {
            ((NpgsqlParameter<long>)command.Parameters[0]).TypedValue = jobId;
            if (await command.ExecuteNonQueryAsync() != 1) throw new InvalidOperationException($"lifecycle step refused for job {jobId}");
        }
    }
}
