using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;
using Outpost.Store.Records.Accounts;

namespace Outpost.Appliance.Web;

/// <summary>Who a session belongs to. <see cref="MustSetPassword"/>: signed in with the admin secret before any password was set.</summary>
public sealed record SessionUser(long UserId, string Username, UserRole Role, bool MustSetPassword);

/// <summary>
/// Web UI sessions, held in memory: a restart logs everyone out, which for a single-box appliance is a fair price for
/// not persisting credentials. The cookie carries a random 256-bit id; the server keeps only its hash, its user and
/// its expiry, so a memory dump does not yield a usable cookie. A change to a user (role, password, disabled,
/// deleted) ends that user's sessions, so a session never outlives the rights it was opened with.
/// </summary>
public sealed class SessionStore(TimeProvider clock, IOptions<OutpostOptions> options)
{
    /// <summary>The cookie over plain HTTP; over HTTPS it is <see cref="SecureCookieName"/>, which browsers bind to this host and to TLS.</summary>
    public const string CookieName = "outpost_session";

    public const string SecureCookieName = "__Host-outpost_session";

    private readonly ConcurrentDictionary<string, (SessionUser User, DateTimeOffset Expiry)> _sessions = new(StringComparer.Ordinal);
    private readonly TimeSpan _lifetime = options.Value.SessionLifetime;

    public TimeSpan Lifetime => _lifetime;

    public static string CookieFor(HttpRequest request) => request.IsHttps ? SecureCookieName : CookieName;

    /// <summary>Starts a session and returns the id to put in the cookie.</summary>
    public string Create(SessionUser user)
    {
        var now = clock.GetUtcNow();
        foreach (var (key, session) in _sessions)
        {
            if (session.Expiry <= now)
            {
                _sessions.TryRemove(key, out _);
            }
        }

        var id = Secrets.NewToken();
        _sessions[Key(id)] = (user, now + _lifetime);
        return id;
    }

    public SessionUser? Find(string? id) =>
        !string.IsNullOrEmpty(id) && _sessions.TryGetValue(Key(id), out var session) && session.Expiry > clock.GetUtcNow() ? session.User : null;

    public void End(string? id)
    {
        if (!string.IsNullOrEmpty(id))
        {
            _sessions.TryRemove(Key(id), out _);
        }
    }

    /// <summary>Ends every session of a user, but <paramref name="keep"/> (the caller's own, after it changed its own password).</summary>
    public void EndAllOf(long userId, string? keep = null)
    {
        var kept = keep is null ? null : Key(keep);
        foreach (var (key, session) in _sessions)
        {
            if (session.User.UserId == userId && key != kept)
            {
                _sessions.TryRemove(key, out _);
            }
        }
    }

    /// <summary>Marks the session as no longer needing a password (the user just set one).</summary>
    public void PasswordSet(string id)
    {
        var key = Key(id);
        if (_sessions.TryGetValue(key, out var session))
        {
            _sessions[key] = (session.User with { MustSetPassword = false }, session.Expiry);
        }
    }

    private static string Key(string id) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
}
