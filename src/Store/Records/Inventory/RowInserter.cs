using System.Data.Common;
using System.Globalization;
using System.Text;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// Writes many rows through one multi-row statement, prepared once per size: <c>{head} VALUES (…), (…) {tail}</c>,
/// <see cref="RecordsDialect.RowsPerInsert"/> rows at a time (the last statement holds the rest). Each row gives its
/// values in column order. Made for one transaction; dispose it before the transaction ends.
/// </summary>
internal sealed class RowInserter(DbConnection connection, DbTransaction transaction, RecordsEngine engine, string head, int columns, string tail)
    : IAsyncDisposable
{
    private readonly int _rowsPerStatement = Math.Max(1, Math.Min(RecordsDialect.RowsPerInsert(engine), 30_000 / columns));
    private readonly List<object?> _pending = [];
    private DbCommand? _full;

    public int Written { get; private set; }

    public async Task AddAsync(CancellationToken ct, params object?[] values)
    {
        if (values.Length != columns) throw new ArgumentException($"a row has {columns} values", nameof(values));
        _pending.AddRange(values);
        if (_pending.Count == _rowsPerStatement * columns)
        {
            _full ??= Build(_rowsPerStatement);
            await RunAsync(_full, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the rows still pending.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        if (_pending.Count == 0) return;
        await using var partial = Build(_pending.Count / columns);
        await RunAsync(partial, ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_full is not null) await _full.DisposeAsync().ConfigureAwait(false);
    }

    private async Task RunAsync(DbCommand command, CancellationToken ct)
    {
        for (var i = 0; i < _pending.Count; i++) command.Parameters[i].Value = _pending[i] ?? DBNull.Value;
        Written += await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        _pending.Clear();
    }

    private DbCommand Build(int rows)
    {
        var sql = new StringBuilder(head).Append(" VALUES ");
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < columns; c++)
            {
                sql.Append(c == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"@v{r * columns + c}");
            }

            sql.Append(')');
        }

        var command = connection.Command(sql.Append(' ').Append(tail).ToString(), transaction);
        for (var i = 0; i < rows * columns; i++) command.With("@v" + i.ToString(CultureInfo.InvariantCulture), null);
        if (engine == RecordsEngine.Sqlite) command.Prepare();
        return command;
    }
}
