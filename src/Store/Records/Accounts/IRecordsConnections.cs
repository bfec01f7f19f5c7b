using System.Data.Common;

namespace Outpost.Store.Records.Accounts;

/// <summary>Opens connections to the records database, its schema applied; the repositories need nothing more.</summary>
public interface IRecordsConnections
{
    /// <summary>True on PostgreSQL, false on the embedded SQLite file.</summary>
    bool IsPostgres { get; }

    ValueTask<DbConnection> OpenAsync(CancellationToken ct = default);
}
