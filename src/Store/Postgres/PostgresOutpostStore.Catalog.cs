using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Outpost.Store.Model;

namespace Outpost.Store.Postgres;

// Scanners, documents and alarms: small control-path tables. Reads go to the database every time rather than to a
// cache, because another node may have changed them a moment ago (a rotated key must stop working on every node).
public sealed partial class PostgresOutpostStore
{
    private const string ScannerColumns = "id, name, api_key_hash, allowed_cidrs, max_pps, enabled, created_at, last_heartbeat_at, source_ip, version, capabilities, pool";

    public ValueTask<Scanner> CreateScannerAsync(string name, byte[] apiKeyHash, IReadOnlyList<string> allowedCidrs,
        int? maxProbesPerSecond, DateTimeOffset now, string? pool = null, CancellationToken ct = default) =>
        RunAsync(async (connection, token) =>
        {
            await using var insert = Command(connection,
                "INSERT INTO scanners (name, api_key_hash, allowed_cidrs, max_pps, enabled, created_at, pool) VALUES ($1, $2, $3, $4, true, $5, $6) RETURNING " + ScannerColumns);
            insert.Parameters.Add(Text(name));
            insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = apiKeyHash });
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. allowedCidrs] });
            insert.Parameters.Add(NullableInt(maxProbesPerSecond));
            insert.Parameters.Add(At(now));
            insert.Parameters.Add(Text(pool));
            await using var reader = await insert.ExecuteReaderAsync(token).ConfigureAwait(false);
            await reader.ReadAsync(token).ConfigureAwait(false);
            return ReadScanner(reader);
        }, ct);

    public Scanner? GetScanner(long scannerId) => Read(connection =>
    {
        using var select = Command(connection, "SELECT " + ScannerColumns + " FROM scanners WHERE id = $1");
        select.Parameters.Add(Long(scannerId));
        using var reader = select.ExecuteReader();
        return reader.Read() ? ReadScanner(reader) : null;
    });

    public Scanner? FindScannerByKeyHash(ReadOnlySpan<byte> apiKeyHash)
    {
        var hash = apiKeyHash.ToArray();
        return Read(connection =>
        {
            using var select = Command(connection, "SELECT " + ScannerColumns + " FROM scanners WHERE api_key_hash = $1");
            select.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = hash });
            using var reader = select.ExecuteReader();
            return reader.Read() ? ReadScanner(reader) : null;
        });
    }

    public IReadOnlyList<Scanner> ListScanners() => Read(connection =>
    {
        using var select = Command(connection, "SELECT " + ScannerColumns + " FROM scanners ORDER BY id");
        var scanners = new List<Scanner>();
        using var reader = select.ExecuteReader();
        while (reader.Read()) scanners.Add(ReadScanner(reader));
        return scanners;
    });

    public ValueTask<(StoreStatus Status, Scanner? Scanner)> UpdateScannerAsync(long scannerId, ScannerPatch patch, CancellationToken ct = default) =>
        ChangeScannerAsync(
            "UPDATE scanners SET name = coalesce($2, name), enabled = coalesce($3, enabled), allowed_cidrs = coalesce($4, allowed_cidrs), " +
            "max_pps = CASE WHEN $5 THEN NULL ELSE coalesce($6, max_pps) END, pool = CASE WHEN $7 THEN NULL ELSE coalesce($8, pool) END " +
            "WHERE id = $1 RETURNING " + ScannerColumns,
            scannerId, command =>
            {
                command.Parameters.Add(Text(patch.Name));
                command.Parameters.Add(new NpgsqlParameter { Value = patch.Enabled is { } enabled ? enabled : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean });
                command.Parameters.Add(new NpgsqlParameter
                {
                    Value = patch.AllowedCidrs is { } cidrs ? cidrs.ToArray() : DBNull.Value,
                    NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
                });
                command.Parameters.Add(Bool(patch.ClearMaxProbesPerSecond));
                command.Parameters.Add(NullableInt(patch.MaxProbesPerSecond));
                command.Parameters.Add(Bool(patch.ClearPool));
                command.Parameters.Add(Text(patch.Pool));
            }, ct);

    public ValueTask<(StoreStatus Status, Scanner? Scanner)> RotateScannerKeyAsync(long scannerId, byte[] newApiKeyHash, CancellationToken ct = default) =>
        ChangeScannerAsync("UPDATE scanners SET api_key_hash = $2 WHERE id = $1 RETURNING " + ScannerColumns, scannerId,
            command => command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = newApiKeyHash }), ct);

    public async ValueTask<StoreStatus> RecordHeartbeatAsync(long scannerId, DateTimeOffset at, string? sourceIp, string? version,
        IReadOnlyList<ScannerCapability>? capabilities = null, CancellationToken ct = default) =>
        (await ChangeScannerAsync(
            "UPDATE scanners SET last_heartbeat_at = $2, source_ip = coalesce($3, source_ip), version = coalesce($4, version), " +
            "capabilities = coalesce($5, capabilities) WHERE id = $1 RETURNING " + ScannerColumns,
            scannerId, command =>
            {
                command.Parameters.Add(At(at));
                command.Parameters.Add(Text(sourceIp));
                command.Parameters.Add(Text(version));
                command.Parameters.Add(capabilities is null
                    ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb }
                    : Jsonb(JsonSerializer.Serialize([.. capabilities], PostgresJson.Default.ListScannerCapability)));
            }, ct).ConfigureAwait(false)).Status;

    private ValueTask<(StoreStatus Status, Scanner? Scanner)> ChangeScannerAsync(string sql, long scannerId, Action<NpgsqlCommand> parameters, CancellationToken ct) =>
        RunAsync<(StoreStatus, Scanner?)>(async (connection, token) =>
        {
            await using var update = Command(connection, sql);
            update.Parameters.Add(Long(scannerId));
            parameters(update);
            await using var reader = await update.ExecuteReaderAsync(token).ConfigureAwait(false);
            return await reader.ReadAsync(token).ConfigureAwait(false) ? (StoreStatus.Ok, ReadScanner(reader)) : (StoreStatus.NotFound, null);
        }, ct);

    private static Scanner ReadScanner(NpgsqlDataReader r) => new()
    {
        Id = r.GetInt64(0),
        Name = r.GetString(1),
        ApiKeyHash = r.GetFieldValue<byte[]>(2),
        AllowedCidrs = r.GetFieldValue<string[]>(3),
        MaxProbesPerSecond = r.IsDBNull(4) ? null : r.GetInt32(4),
        Enabled = r.GetBoolean(5),
        CreatedAt = Time(r, 6)!.Value,
        LastHeartbeatAt = Time(r, 7),
        SourceIp = r.IsDBNull(8) ? null : r.GetString(8),
        Version = r.IsDBNull(9) ? null : r.GetString(9),
        Capabilities = r.IsDBNull(10) ? null : JsonSerializer.Deserialize(r.GetString(10), PostgresJson.Default.ListScannerCapability),
        Pool = r.IsDBNull(11) ? null : r.GetString(11),
    };

    // ---- Documents ------------------------------------------------------------------------------------------

    public string? GetDocument(string collection, string key) => Read(connection =>
    {
        using var select = Command(connection, "SELECT json FROM documents WHERE collection = $1 AND key = $2");
        select.Parameters.Add(Text(collection));
        select.Parameters.Add(Text(key));
        return select.ExecuteScalar() as string;
    });

    public IReadOnlyList<KeyValuePair<string, string>> ListDocuments(string collection) => Read(connection =>
    {
        using var select = Command(connection, "SELECT key, json FROM documents WHERE collection = $1 ORDER BY key COLLATE \"C\"");
        select.Parameters.Add(Text(collection));
        var documents = new List<KeyValuePair<string, string>>();
        using var reader = select.ExecuteReader();
        while (reader.Read()) documents.Add(KeyValuePair.Create(reader.GetString(0), reader.GetString(1)));
        return documents;
    });

    public async ValueTask PutDocumentAsync(string collection, string key, string json, CancellationToken ct = default) =>
        await RunAsync(async (connection, token) =>
        {
            await using var upsert = Command(connection,
                "INSERT INTO documents (collection, key, json) VALUES ($1, $2, $3) ON CONFLICT (collection, key) DO UPDATE SET json = excluded.json");
            upsert.Parameters.Add(Text(collection));
            upsert.Parameters.Add(Text(key));
            upsert.Parameters.Add(Text(json));
            return await upsert.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    public ValueTask<bool> DeleteDocumentAsync(string collection, string key, CancellationToken ct = default) =>
        RunAsync(async (connection, token) =>
        {
            await using var delete = Command(connection, "DELETE FROM documents WHERE collection = $1 AND key = $2");
            delete.Parameters.Add(Text(collection));
            delete.Parameters.Add(Text(key));
            return await delete.ExecuteNonQueryAsync(token).ConfigureAwait(false) > 0;
        }, ct);

    // ---- Alarms ---------------------------------------------------------------------------------------------

    public async ValueTask RaiseAlarmAsync(Alarm alarm, CancellationToken ct = default) =>
        await RunAsync(async (connection, token) =>
        {
            await using var upsert = Command(connection,
                "INSERT INTO alarms (kind, subject, message, raised_at) VALUES ($1, $2, $3, $4) " +
                "ON CONFLICT (kind, subject) DO UPDATE SET message = excluded.message, raised_at = excluded.raised_at");
            upsert.Parameters.Add(Text(alarm.Kind));
            upsert.Parameters.Add(Text(alarm.Subject));
            upsert.Parameters.Add(Text(alarm.Message));
            upsert.Parameters.Add(At(alarm.RaisedAt));
            return await upsert.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    public async ValueTask ClearAlarmAsync(string kind, string subject, CancellationToken ct = default) =>
        await RunAsync(async (connection, token) =>
        {
            await using var delete = Command(connection, "DELETE FROM alarms WHERE kind = $1 AND subject = $2");
            delete.Parameters.Add(Text(kind));
            delete.Parameters.Add(Text(subject));
            return await delete.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    public IReadOnlyList<Alarm> ListAlarms() => Read(connection =>
    {
        using var select = Command(connection, "SELECT kind, subject, message, raised_at FROM alarms ORDER BY raised_at, kind, subject");
        var alarms = new List<Alarm>();
        using var reader = select.ExecuteReader();
        while (reader.Read()) alarms.Add(new Alarm(reader.GetString(0), reader.GetString(1), reader.GetString(2), Time(reader, 3)!.Value));
        return alarms;
    });
}
