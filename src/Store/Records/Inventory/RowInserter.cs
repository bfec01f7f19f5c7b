using System.Buffers;
using System.Data.Common;
using System.Text;
using System.Text.Json;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// Writes many rows of <paramref name="table"/> through one set-based statement per <see cref="RowsPerStatement"/>
/// rows: the rows travel as one JSON array parameter, which the engine unpacks itself (<c>json_each</c> over arrays on
/// SQLite, <c>json_populate_recordset</c> over objects and the table's row type on PostgreSQL), then <c>INSERT … SELECT … {tail}</c>.
/// One statement and one parameter per batch instead of one per row (SQLite) or thousands of parameters per
/// statement (PostgreSQL): the per-row cost is the engine's own, not the driver's. Each row gives its values in
/// <paramref name="columns"/> order (strings, integers or null). Made for one transaction; flush it before the
/// transaction ends.
/// </summary>
internal sealed class RowInserter(DbConnection connection, DbTransaction transaction, RecordsEngine engine, string table, string[] columns, string tail)
    : IDisposable
{
    /// <summary>Rows one statement carries: a slice's rows in one or a few statements, a bounded parameter.</summary>
    private const int RowsPerStatement = 20_000;

    private readonly ArrayBufferWriter<byte> _json = new(1 << 16);
    private readonly bool _byName = engine == RecordsEngine.Postgres;
    private readonly JsonEncodedText[] _names = [.. columns.Select(c => JsonEncodedText.Encode(c))];
    private Utf8JsonWriter? _writer;
    private int _pending;

    public int Written { get; private set; }

    public async Task AddAsync(CancellationToken ct, params object?[] values)
    {
        if (values.Length != columns.Length) throw new ArgumentException($"a row has {columns.Length} values", nameof(values));
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_json);
            _writer.WriteStartArray();
        }

        // PostgreSQL maps objects onto the table's row type by name; SQLite picks an array's items by position, faster.
        if (_byName) _writer.WriteStartObject();
        else _writer.WriteStartArray();
        for (var i = 0; i < values.Length; i++)
        {
            if (_byName) _writer.WritePropertyName(_names[i]);
            switch (values[i])
            {
                case null: _writer.WriteNullValue(); break;
                case string s: _writer.WriteStringValue(s); break;
                case int n: _writer.WriteNumberValue(n); break;
                case long n: _writer.WriteNumberValue(n); break;
                default: throw new ArgumentException($"{columns[i]}: a {values[i]!.GetType().Name} is not a column value", nameof(values));
            }
        }

        if (_byName) _writer.WriteEndObject();
        else _writer.WriteEndArray();
        if (++_pending == RowsPerStatement) await FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Writes the rows still pending.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        if (_writer is null) return;
        _writer.WriteEndArray();
        await _writer.DisposeAsync().ConfigureAwait(false);
        _writer = null;
        var rows = Encoding.UTF8.GetString(_json.WrittenSpan);
        _json.ResetWrittenCount();
        _pending = 0;
        await using var command = connection.Command(Sql(), transaction).With("@rows", rows);
        Written += await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public void Dispose() => _writer?.Dispose();

    /// <summary>
    /// <c>WHERE true</c>: SQLite reads an <c>ON CONFLICT</c> right after a <c>FROM</c> as a join's <c>ON</c> otherwise.
    /// </summary>
    private string Sql()
    {
        var list = string.Join(", ", columns);
        var source = engine == RecordsEngine.Sqlite
            ? $"SELECT {string.Join(", ", columns.Select((_, i) => $"value ->> {i}"))} FROM json_each(@rows)"
            : $"SELECT {list} FROM json_populate_recordset(NULL::{table}, @rows::json)";
        return $"INSERT INTO {table} ({list}) {source} WHERE true {tail}";
    }
}
