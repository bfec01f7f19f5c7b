using System.Text.Json;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

/// <summary>
/// The findings list a checkpoint of the version before the records database wrote: the catalog's top-level
/// <c>findings</c> array of <see cref="StoredFinding"/>s (docs/records.md, "Upgrading"), read a batch at a time. An old
/// store may hold millions of findings, so they are never all on the heap as objects at once; the file's bytes are
/// (recovery reads the catalog whole anyway). Each batch resumes a JSON reader where the previous one stopped.
/// </summary>
internal sealed class CatalogRetiredFindings
{
    private readonly byte[] _json;
    private int _offset;
    private JsonReaderState _state;
    private bool _done;

    private CatalogRetiredFindings(byte[] json, int offset, JsonReaderState state)
    {
        _json = json;
        _offset = offset;
        _state = state;
    }

    /// <summary>The reader of the catalog's findings list, or null when the catalog has none (every current one).</summary>
    public static CatalogRetiredFindings? Find(byte[] catalogJson)
    {
        var reader = new Utf8JsonReader(catalogJson);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isFindings = reader.ValueTextEquals("findings"u8);
            reader.Read();
            if (isFindings && reader.TokenType == JsonTokenType.StartArray)
                return new CatalogRetiredFindings(catalogJson, checked((int)reader.BytesConsumed), reader.CurrentState);
            reader.Skip();
        }
        return null;
    }

    /// <summary>The next findings in the list's order, up to <paramref name="max"/>; empty once the list is read.</summary>
    public List<StoredFinding> Next(int max)
    {
        var batch = new List<StoredFinding>();
        if (_done) return batch;
        var reader = new Utf8JsonReader(_json.AsSpan(_offset), isFinalBlock: true, _state);
        while (batch.Count < max)
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                _done = true;
                break;
            }
            batch.Add(JsonSerializer.Deserialize(ref reader, StoreJson.Default.StoredFinding) ?? throw new JsonException("a null finding"));
        }
        _offset += checked((int)reader.BytesConsumed);
        _state = reader.CurrentState;
        return batch;
    }
}
