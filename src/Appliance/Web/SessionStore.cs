using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;

namespace Outpost.Appliance.Web;

/// <summary>
/// Web UI sessions, held in memory: a restart logs everyone out, which for a single-box appliance is a fair price for
/// not persisting credentials. The cookie carries a random 256-bit id; the server keeps only its hash and expiry,
/// so a memory dump does not yield a usable cookie.
/// </summary>
public sealed class SessionStore(TimeProvider clock, IOptions<OutpostOptions> options)
{
    public const string CookieName = "outpost_session";

    private readonly ConcurrentDictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);
    private readonly TimeSpan _lifetime = options.Value.SessionLifetime;

    public TimeSpan Lifetime => _lifetime;

    /// <summary>Starts a session and returns the id to put in the cookie.</summary>
    public string Create()
    {
        var now = clock.GetUtcNow();
        foreach (var (key, expiry) in _expiries)
        {
            if (expiry <= now)
            {
                _expiries.TryRemove(key, out _);
            }
        }

        var id = Secrets.NewToken();
        _expiries[Key(id)] = now + _lifetime;
        return id;
    }

    public bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && _expiries.TryGetValue(Key(id), out var expiry) && expiry > clock.GetUtcNow();

    public void End(string? id)
    {
        if (!string.IsNullOrEmpty(id))
        {
            _expiries.TryRemove(Key(id), out _);
        }
    }

    private static string Key(string id) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
}
