using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests.Accounts;

/// <summary>Directory sign-in against a real OpenLDAP (slapd on loopback, its own users and groups), group-to-role mapping included.</summary>
public sealed class DirectorySignInTests
{
    private const string People = "ou=people," + Slapd.Suffix;
    private const string Groups = "ou=groups," + Slapd.Suffix;

    private const string Ldif = $"""
        dn: {Slapd.Suffix}
        objectClass: dcObject
        objectClass: organization
        dc: outpost
        o: Outpost tests

        dn: {People}
        objectClass: organizationalUnit
        ou: people

        dn: {Groups}
        objectClass: organizationalUnit
        ou: groups

        dn: uid=alice,{People}
        objectClass: inetOrgPerson
        uid: alice
        cn: Alice
        sn: Operator
        userPassword: alice-directory-password

        dn: uid=bob,{People}
        objectClass: inetOrgPerson
        uid: bob
        cn: Bob
        sn: Nogroup
        userPassword: bob-directory-password

        dn: uid=carol,{People}
        objectClass: inetOrgPerson
        uid: carol
        cn: Carol
        sn: Admin
        userPassword: carol-directory-password

        dn: cn=outpost-operators,{Groups}
        objectClass: groupOfNames
        cn: outpost-operators
        member: uid=alice,{People}

        dn: cn=outpost-admins,{Groups}
        objectClass: groupOfNames
        cn: outpost-admins
        member: uid=carol,{People}

        dn: cn=outpost-viewers,{Groups}
        objectClass: groupOfNames
        cn: outpost-viewers
        member: uid=carol,{People}
        member: uid=alice,{People}

        """;

    [Fact]
    public async Task Directory_users_sign_in_with_the_role_of_their_groups()
    {
        using var slapd = await Slapd.StartAsync(Ldif);
        await using var daemon = await Daemon.StartAsync(new Dictionary<string, string?>
        {
            ["Outpost:Directory:Enabled"] = "true",
            ["Outpost:Directory:Host"] = "127.0.0.1",
            ["Outpost:Directory:Port"] = slapd.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Outpost:Directory:BindDn"] = Slapd.RootDn,
            ["Outpost:Directory:BindPassword"] = Slapd.RootPassword,
            ["Outpost:Directory:UserSearchBase"] = People,
            ["Outpost:Directory:GroupSearchBase"] = Groups,
            [$"Outpost:Directory:GroupRoles:cn=outpost-viewers,{Groups}"] = "viewer",
            [$"Outpost:Directory:GroupRoles:cn=outpost-operators,{Groups}"] = "operator",
            [$"Outpost:Directory:GroupRoles:CN=Outpost-Admins,{Groups}"] = "admin",
        });
        var api = daemon.Api;

        // alice is in the viewers and the operators: the higher role wins.
        var alice = await api.SignInAsync("alice", "alice-directory-password");
        var session = (await api.WithCookieAsync(alice, HttpMethod.Get, "/api/session")).AssertOk().Json;
        Assert.Equal("operator", session.GetProperty("role").GetString());
        (await api.WithCookieAsync(alice, HttpMethod.Post, "/api/scheduler/pause")).AssertOk();
        (await api.WithCookieAsync(alice, HttpMethod.Get, "/api/users")).AssertError(403, "FORBIDDEN");
        // Her password lives in the directory.
        (await api.WithCookieAsync(alice, HttpMethod.Put, "/api/account/password", new { password = "a new long password" })).AssertError(409, "CONFLICT");

        // Group DNs match without regard to case; carol is an admin.
        var carol = await api.SignInAsync("carol", "carol-directory-password");
        Assert.Equal("admin", (await api.WithCookieAsync(carol, HttpMethod.Get, "/api/session")).AssertOk().Json.GetProperty("role").GetString());

        // A wrong password, a user in no mapped group, an empty password (an anonymous bind to LDAP) and a filter
        // injection are all refused.
        (await api.SendAsync(HttpMethod.Post, "/api/session", new { username = "alice", password = "not-her-password" })).AssertError(401, "UNAUTHORIZED");
        (await api.SendAsync(HttpMethod.Post, "/api/session", new { username = "bob", password = "bob-directory-password" })).AssertError(401, "UNAUTHORIZED");
        daemon.Clock.Advance(Web.LoginThrottle.Window);
        (await api.SendAsync(HttpMethod.Post, "/api/session", new { username = "alice", password = "" })).AssertError(401, "UNAUTHORIZED");
        (await api.SendAsync(HttpMethod.Post, "/api/session", new { username = "*", password = "alice-directory-password" })).AssertError(401, "UNAUTHORIZED");

        var users = (await api.AdminAsync(HttpMethod.Get, "/api/users")).AssertOk().Json.GetProperty("users").EnumerateArray().ToList();
        var aliceRow = users.Single(u => u.GetProperty("username").GetString() == "alice");
        Assert.Equal(("directory", "operator", false), (aliceRow.GetProperty("source").GetString(), aliceRow.GetProperty("role").GetString(),
            aliceRow.GetProperty("hasPassword").GetBoolean()));
        Assert.DoesNotContain(users, u => u.GetProperty("username").GetString() == "bob");

        // The directory gone: sign-in says so instead of calling the password wrong.
        daemon.Clock.Advance(Web.LoginThrottle.Window);
        slapd.Stop();
        (await api.SendAsync(HttpMethod.Post, "/api/session", new { username = "alice", password = "alice-directory-password" }))
            .AssertError(503, "DIRECTORY_UNAVAILABLE");
    }
}
