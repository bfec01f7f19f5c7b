namespace Outpost.Store.Records;

/// <summary>
/// One named step of the records schema. <see cref="Id"/> is recorded in <c>records_migrations</c> once applied, so a
/// step runs once per database; released steps are never edited (a change is a new step). Ids are prefixed with the
/// feature that owns them (<c>findings-1</c>), so features add steps without colliding. Each text may hold several
/// statements; both run inside one transaction together with the id's row.
/// </summary>
/// <param name="Id">Unique, stable name: <c>&lt;feature&gt;-&lt;n&gt;</c>.</param>
/// <param name="Sqlite">The step on the embedded engine.</param>
/// <param name="Postgres">The same step on PostgreSQL.</param>
public sealed record Migration(string Id, string Sqlite, string Postgres)
{
    /// <summary>A step whose SQL is the same on both engines.</summary>
    public Migration(string id, string sql) : this(id, sql, sql)
    {
    }

    /// <summary>The step's text for <paramref name="engine"/>.</summary>
    public string For(RecordsEngine engine) => engine == RecordsEngine.Sqlite ? Sqlite : Postgres;
}

/// <summary>
/// The records schema: every feature's migrations, in the order they apply. Each feature keeps its own list beside
/// its code and adds one line here; a feature's steps only depend on its own earlier steps.
/// </summary>
public static class RecordsSchema
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        .. Findings.FindingsSchema.Migrations,
        .. Capabilities.CapabilityResultsSchema.Migrations,
        .. Accounts.AccountsSchema.Migrations,
        .. Audit.AuditSchema.Migrations,
        .. Vulnerabilities.VulnerabilitiesSchema.Migrations,
        .. Notifications.NotificationsSchema.Migrations,
        .. Inventory.InventorySchema.Migrations,
    ];
}
