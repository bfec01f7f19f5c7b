using System.DirectoryServices.Protocols;
using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Outpost.Appliance.Hosting;
using Outpost.Store.Records.Accounts;

namespace Outpost.Appliance.Accounts;

/// <summary>
/// Settings of directory sign-in (section <c>Outpost:Directory</c>; docs/users-and-audit.md): where the LDAP or Active
/// Directory server is, the service account that looks users up, how users and their groups are found, and which
/// group gives which role.
/// </summary>
public sealed class DirectoryOptions
{
    public bool Enabled { get; set; }
    public string Host { get; set; } = "localhost";
    public int Port { get; set; } = 389;

    /// <summary>LDAPS (TLS from the first byte, usually port 636).</summary>
    public bool UseSsl { get; set; }

    /// <summary>The service account that searches for users and groups (empty: anonymous search).</summary>
    public string? BindDn { get; set; }
    public string? BindPassword { get; set; }

    public string UserSearchBase { get; set; } = "";

    /// <summary>{0} is the username, escaped. Active Directory: <c>(sAMAccountName={0})</c>.</summary>
    public string UserFilter { get; set; } = "(uid={0})";

    public string GroupSearchBase { get; set; } = "";

    /// <summary>{0} is the user's DN, escaped. Active Directory: <c>(&amp;(objectClass=group)(member={0}))</c>.</summary>
    public string GroupFilter { get; set; } = "(&(objectClass=groupOfNames)(member={0}))";

    /// <summary>Group DN → role (viewer, operator, admin). A user in none of them cannot sign in; in several, gets the highest.</summary>
    public Dictionary<string, string> GroupRoles { get; set; } = [];

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>The directory could not be reached or refused the service account: sign-in cannot be decided.</summary>
public sealed class DirectoryUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Directory sign-in by LDAP bind (System.DirectoryServices.Protocols): the service account finds the user's entry,
/// a bind as that entry with the given password proves the password (the appliance never sees a hash), and the
/// groups that list the entry as a member decide the role. An empty password is refused before any bind, because
/// LDAP treats a bind with a DN and no password as an anonymous bind that "succeeds".
/// </summary>
public sealed class DirectorySignIn(IOptions<OutpostOptions> options)
{
    private const int InvalidCredentials = 49;
    private readonly DirectoryOptions _options = options.Value.Directory;

    public bool Enabled => _options.Enabled;

    /// <summary>The role the directory gives this user, or null (unknown user, wrong password, or no mapped group).</summary>
    public UserRole? Authenticate(string username, string password)
    {
        if (!_options.Enabled || password.Length == 0)
        {
            return null;
        }

        try
        {
            using var service = Connect();
            service.Bind(string.IsNullOrEmpty(_options.BindDn) ? new NetworkCredential() : new NetworkCredential(_options.BindDn, _options.BindPassword));
            var users = Search(service, _options.UserSearchBase, string.Format(System.Globalization.CultureInfo.InvariantCulture, _options.UserFilter, Escape(username)));
            if (users.Count != 1)
            {
                return null;
            }

            var userDn = users[0].DistinguishedName;
            using (var asUser = Connect())
            {
                try
                {
                    asUser.Bind(new NetworkCredential(userDn, password));
                }
                catch (LdapException ex) when (ex.ErrorCode == InvalidCredentials)
                {
                    return null;
                }
            }

            UserRole? role = null;
            var groups = Search(service, _options.GroupSearchBase, string.Format(System.Globalization.CultureInfo.InvariantCulture, _options.GroupFilter, Escape(userDn)));
            foreach (SearchResultEntry group in groups)
            {
                foreach (var (groupDn, name) in _options.GroupRoles)
                {
                    // DNs compare without case (LDAP attribute names and most values do); the binder's dictionary does not.
                    if (string.Equals(groupDn, group.DistinguishedName, StringComparison.OrdinalIgnoreCase) && UserRoles.Parse(name) is { } mapped
                        && (role is null || mapped > role))
                    {
                        role = mapped;
                    }
                }
            }

            return role;
        }
        catch (Exception ex) when (ex is LdapException or DirectoryOperationException)
        {
            throw new DirectoryUnavailableException($"The directory at {_options.Host}:{_options.Port} did not answer as expected: {ex.Message}", ex);
        }
    }

    private LdapConnection Connect()
    {
        var connection = new LdapConnection(new LdapDirectoryIdentifier(_options.Host, _options.Port), null, AuthType.Basic) { Timeout = _options.Timeout };
        connection.SessionOptions.ProtocolVersion = 3;
        connection.SessionOptions.SecureSocketLayer = _options.UseSsl;
        return connection;
    }

    private static SearchResultEntryCollection Search(LdapConnection connection, string searchBase, string filter) =>
        ((SearchResponse)connection.SendRequest(new SearchRequest(searchBase, filter, SearchScope.Subtree, "1.1"))).Entries;

    /// <summary>RFC 4515 escaping, so a username cannot change the filter's meaning.</summary>
    private static string Escape(string value)
    {
        var escaped = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => escaped.Append(@"\5c"),
                '*' => escaped.Append(@"\2a"),
                '(' => escaped.Append(@"\28"),
                ')' => escaped.Append(@"\29"),
                '\0' => escaped.Append(@"\00"),
                _ => escaped.Append(c),
            };
        }

        return escaped.ToString();
    }
}
