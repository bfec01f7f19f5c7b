using System.Data.Common;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// The facts a service carries beyond its key (<see cref="ServiceSnapshot"/>) as the inventory stores them: the same
/// seven columns, in the same order, in <c>inventory_services</c>, <c>inventory_scan_services</c> and
/// <c>inventory_changes</c> (<see cref="InventorySchema"/>), and reading a service back from a row that holds them.
/// </summary>
internal static class ServiceFacts
{
    /// <summary>The columns, in the order <see cref="Read"/> takes them.</summary>
    public const string Columns = "service, product, version, cert_subject, cert_sha256, cert_not_after, http_title";

    /// <summary><see cref="Columns"/> one by one.</summary>
    public static readonly string[] Names = Columns.Split(", ");

    /// <summary>
    /// The service whose key (ip, port, proto) starts at ordinal <paramref name="key"/> and whose facts
    /// (<see cref="Columns"/>) start at <paramref name="facts"/>.
    /// </summary>
    public static ServiceSnapshot Read(DbDataReader r, int key, int facts) =>
        new(r.GetString(key), r.GetInt32(key + 1), r.GetString(key + 2), r.GetStringOrNull(facts), r.GetStringOrNull(facts + 1),
            r.GetStringOrNull(facts + 2), r.GetStringOrNull(facts + 3), r.GetStringOrNull(facts + 4),
            r.IsDBNull(facts + 5) ? null : RecordsCommands.Time(r.GetInt64(facts + 5)), r.GetStringOrNull(facts + 6));
}
