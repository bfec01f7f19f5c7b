using System.Data.Common;

namespace Outpost.Store.Records.Accounts;

/// <summary>
/// Users and their personal API tokens in the records database (docs/users-and-audit.md). Every change is one write
/// transaction, durable when the method returns.
/// </summary>
public sealed class AccountRepository(RecordsDatabase records)
{
    private const string UserColumns = "u.id, u.username, u.role, u.source, u.password_hash, u.disabled, u.totp_secret, u.totp_enabled, u.created_at";

    public Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken ct = default) =>
        records.ReadAsync<IReadOnlyList<UserRecord>>(async (c, t) =>
        {
            await using var command = c.Command($"SELECT {UserColumns} FROM users u ORDER BY u.username");
            return await ReadUsersAsync(command, t);
        }, ct);

    public Task<UserRecord?> FindAsync(long id, CancellationToken ct = default) =>
        FindOneAsync($"SELECT {UserColumns} FROM users u WHERE u.id = @id", "id", id, ct);

    public Task<UserRecord?> FindByNameAsync(string username, CancellationToken ct = default) =>
        FindOneAsync($"SELECT {UserColumns} FROM users u WHERE u.username = @name", "name", username, ct);

    /// <summary>The enabled user owning the token with this hash, or null.</summary>
    public Task<UserRecord?> FindByTokenHashAsync(string tokenHash, CancellationToken ct = default) =>
        FindOneAsync($"SELECT {UserColumns} FROM users u JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = @hash AND u.disabled = 0",
            "hash", tokenHash, ct);

    /// <summary>Creates a user; null when the name is taken (nothing changes).</summary>
    public Task<UserRecord?> CreateAsync(string username, UserRole role, string source, string? passwordHash, DateTimeOffset now,
        CancellationToken ct = default) =>
        records.WriteAsync<UserRecord?>(async (c, tx, t) =>
        {
            await using var command = c.Command(
                    "INSERT INTO users (username, role, source, password_hash, created_at) VALUES (@name, @role, @source, @hash, @at) " +
                    $"ON CONFLICT (username) DO NOTHING RETURNING {UserColumns.Replace("u.", "", StringComparison.Ordinal)}", tx)
                .With("name", username).With("role", role.Name()).With("source", source).With("hash", passwordHash)
                .With("at", RecordsCommands.Microseconds(now));
            var created = await ReadUsersAsync(command, t);
            return (created.Count > 0, created.Count == 0 ? null : created[0]);
        }, ct);

    /// <summary>Writes the user's mutable fields (role, password, disabled, TOTP); false when it no longer exists.</summary>
    public Task<bool> UpdateAsync(UserRecord user, CancellationToken ct = default) =>
        ExecuteAsync("UPDATE users SET role = @role, password_hash = @hash, disabled = @disabled, totp_secret = @totp, totp_enabled = @totpOn " +
            "WHERE id = @id", command => command.With("role", user.Role.Name()).With("hash", user.PasswordHash).With("disabled", user.Disabled ? 1 : 0)
            .With("totp", user.TotpSecret).With("totpOn", user.TotpEnabled ? 1 : 0).With("id", user.Id), ct);

    /// <summary>
    /// Records that the second-factor code of this RFC 6238 time step was used; false when a code of this step or a later
    /// one was already accepted (a replay). One conditional update, so two sign-ins racing with the same code cannot both win.
    /// </summary>
    public Task<bool> ConsumeTotpStepAsync(long userId, long step, CancellationToken ct = default) =>
        ExecuteAsync("UPDATE users SET totp_last_step = @step WHERE id = @id AND totp_last_step < @step",
            command => command.With("step", step).With("id", userId), ct);

    /// <summary>Deletes a user and its tokens in one transaction.</summary>
    public Task<bool> DeleteAsync(long id, CancellationToken ct = default) =>
        records.WriteAsync(async (c, tx, t) =>
        {
            await using (var tokens = c.Command("DELETE FROM api_tokens WHERE user_id = @id", tx).With("id", id))
            {
                await tokens.ExecuteNonQueryAsync(t);
            }

            await using var user = c.Command("DELETE FROM users WHERE id = @id", tx).With("id", id);
            var deleted = await user.ExecuteNonQueryAsync(t) > 0;
            return (deleted, deleted);
        }, ct);

    public Task<ApiTokenRecord> CreateTokenAsync(long userId, string name, string tokenHash, DateTimeOffset now, CancellationToken ct = default) =>
        records.WriteAsync(async (c, tx, t) =>
        {
            await using var command = c.Command(
                    "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (@user, @name, @hash, @at) RETURNING id", tx)
                .With("user", userId).With("name", name).With("hash", tokenHash).With("at", RecordsCommands.Microseconds(now));
            var id = Convert.ToInt64(await command.ExecuteScalarAsync(t), System.Globalization.CultureInfo.InvariantCulture);
            return (true, new ApiTokenRecord(id, userId, name, now));
        }, ct);

    public Task<IReadOnlyList<ApiTokenRecord>> ListTokensAsync(long userId, CancellationToken ct = default) =>
        records.ReadAsync<IReadOnlyList<ApiTokenRecord>>(async (c, t) =>
        {
            await using var command = c.Command("SELECT id, user_id, name, created_at FROM api_tokens WHERE user_id = @user ORDER BY id")
                .With("user", userId);
            await using var reader = await command.ExecuteReaderAsync(t);
            var tokens = new List<ApiTokenRecord>();
            while (await reader.ReadAsync(t))
            {
                tokens.Add(new ApiTokenRecord(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), RecordsCommands.Time(reader.GetInt64(3))));
            }

            return tokens;
        }, ct);

    /// <summary>Revokes one of the user's own tokens; false when it has no such token.</summary>
    public Task<bool> DeleteTokenAsync(long userId, long tokenId, CancellationToken ct = default) =>
        ExecuteAsync("DELETE FROM api_tokens WHERE id = @id AND user_id = @user", command => command.With("id", tokenId).With("user", userId), ct);

    private Task<bool> ExecuteAsync(string sql, Action<DbCommand> parameters, CancellationToken ct) =>
        records.WriteAsync(async (c, tx, t) =>
        {
            await using var command = c.Command(sql, tx);
            parameters(command);
            var changed = await command.ExecuteNonQueryAsync(t) > 0;
            return (changed, changed);
        }, ct);

    private Task<UserRecord?> FindOneAsync(string sql, string name, object value, CancellationToken ct) =>
        records.ReadAsync(async (c, t) =>
        {
            await using var command = c.Command(sql).With(name, value);
            var users = await ReadUsersAsync(command, t);
            return users.Count == 0 ? null : users[0];
        }, ct);

    private static async Task<List<UserRecord>> ReadUsersAsync(DbCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var users = new List<UserRecord>();
        while (await reader.ReadAsync(ct))
        {
            users.Add(new UserRecord(reader.GetInt64(0), reader.GetString(1), UserRoles.Parse(reader.GetString(2)) ?? UserRole.Viewer,
                reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt32(5) != 0,
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt32(7) != 0, RecordsCommands.Time(reader.GetInt64(8))));
        }

        return users;
    }
}
