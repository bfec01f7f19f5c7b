using System.Data.Common;

namespace Outpost.Store.Records.Accounts;

/// <summary>
/// Users and their personal API tokens in the records database. Every change is one statement, committed before the
/// method returns (the engine's own durability: WAL with <c>synchronous=FULL</c>, or PostgreSQL's commit).
/// </summary>
public sealed class AccountRepository(IRecordsConnections connections)
{
    private const string UserColumns = "u.id, u.username, u.role, u.source, u.password_hash, u.disabled, u.totp_secret, u.totp_enabled, u.created_at";

    public async Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken ct = default)
    {
        await using var connection = await connections.OpenAsync(ct);
        await using var command = connection.Command($"SELECT {UserColumns} FROM users u ORDER BY u.username");
        return await ReadUsersAsync(command, ct);
    }

    public Task<UserRecord?> FindAsync(long id, CancellationToken ct = default) =>
        FindOneAsync($"SELECT {UserColumns} FROM users u WHERE u.id = @id", ("@id", id), ct);

    public Task<UserRecord?> FindByNameAsync(string username, CancellationToken ct = default) =>
        FindOneAsync($"SELECT {UserColumns} FROM users u WHERE u.username = @name", ("@name", username), ct);

    /// <summary>The enabled user owning the token with this hash, or null.</summary>
    public Task<UserRecord?> FindByTokenHashAsync(string tokenHash, CancellationToken ct = default) =>
        FindOneAsync($"SELECT {UserColumns} FROM users u JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = @hash AND u.disabled = 0",
            ("@hash", tokenHash), ct);

    /// <summary>Creates a user; null when the name is taken.</summary>
    public async Task<UserRecord?> CreateAsync(string username, UserRole role, string source, string? passwordHash, DateTimeOffset now,
        CancellationToken ct = default)
    {
        await using var connection = await connections.OpenAsync(ct);
        await using var command = connection.Command(
            $"INSERT INTO users (username, role, source, password_hash, created_at) VALUES (@name, @role, @source, @hash, @at) " +
            $"ON CONFLICT (username) DO NOTHING RETURNING {UserColumns.Replace("u.", "", StringComparison.Ordinal)}",
            ("@name", username), ("@role", role.Name()), ("@source", source), ("@hash", passwordHash), ("@at", Sql.Millis(now)));
        var created = await ReadUsersAsync(command, ct);
        return created.Count == 0 ? null : created[0];
    }

    /// <summary>Writes the user's mutable fields (role, password, disabled, TOTP); false when it no longer exists.</summary>
    public async Task<bool> UpdateAsync(UserRecord user, CancellationToken ct = default)
    {
        await using var connection = await connections.OpenAsync(ct);
        await using var command = connection.Command(
            "UPDATE users SET role = @role, password_hash = @hash, disabled = @disabled, totp_secret = @totp, totp_enabled = @totpOn WHERE id = @id",
            ("@role", user.Role.Name()), ("@hash", user.PasswordHash), ("@disabled", user.Disabled ? 1 : 0), ("@totp", user.TotpSecret),
            ("@totpOn", user.TotpEnabled ? 1 : 0), ("@id", user.Id));
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>Deletes a user and, with it, its tokens.</summary>
    public async Task<bool> DeleteAsync(long id, CancellationToken ct = default)
    {
        await using var connection = await connections.OpenAsync(ct);
        await using var command = connection.Command("DELETE FROM users WHERE id = @id", ("@id", id));
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }

    public async Task<ApiTokenRecord> CreateTokenAsync(long userId, string name, string tokenHash, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await connections.OpenAsync(ct);
        await using var command = connection.Command(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (@user, @name, @hash, @at) RETURNING id",
            ("@user", userId), ("@name", name), ("@hash", tokenHash), ("@at", Sql.Millis(now)));
        var id = Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        return new ApiTokenRecord(id, userId, name, now);
    }

    public async Task<IReadOnlyList<ApiTokenRecord>> ListTokensAsync(long userId, CancellationToken ct = default)
    {
        await using var connection = await connections.OpenAsync(ct);
        await using var command = connection.Command("SELECT id, user_id, name, created_at FROM api_tokens WHERE user_id = @user ORDER BY id",
            ("@user", userId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var tokens = new List<ApiTokenRecord>();
        while (await reader.ReadAsync(ct))
        {
            tokens.Add(new ApiTokenRecord(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), Sql.Time(reader.GetInt64(3))));
        }

        return tokens;
    }

    /// <summary>Revokes one of the user's own tokens; false when it has no such token.</summary>
    public async Task<bool> DeleteTokenAsync(long userId, long tokenId, CancellationToken ct = default)
    {
        await using var connection = await connections.OpenAsync(ct);
        await using var command = connection.Command("DELETE FROM api_tokens WHERE id = @id AND user_id = @user", ("@id", tokenId), ("@user", userId));
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }

    private async Task<UserRecord?> FindOneAsync(string sql, (string, object?) parameter, CancellationToken ct)
    {
        await using var connection = await connections.OpenAsync(ct);
        await using var command = connection.Command(sql, parameter);
        var users = await ReadUsersAsync(command, ct);
        return users.Count == 0 ? null : users[0];
    }

    private static async Task<List<UserRecord>> ReadUsersAsync(DbCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        var users = new List<UserRecord>();
        while (await reader.ReadAsync(ct))
        {
            users.Add(new UserRecord(reader.GetInt64(0), reader.GetString(1), UserRoles.Parse(reader.GetString(2)) ?? UserRole.Viewer,
                reader.GetString(3), reader.NullableString(4), reader.GetInt64(5) != 0, reader.NullableString(6), reader.GetInt64(7) != 0,
                Sql.Time(reader.GetInt64(8))));
        }

        return users;
    }
}
