using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Outpost.Probe.Engine;

namespace Outpost.Probe.Cli;

/// <summary>
/// <c>outpost-probe scan --resume FILE</c>: what a scan needs to continue where it stopped (docs/probe-engine.md) — the
/// targets and ports it covers, its sends per probe, the seed of its order and its cursor, the position below which
/// every probe was sent. The scan saves it at every progress report (once a second) and when it ends, Ctrl-C
/// included, so after a crash at most one report's worth of probes is sent twice. Saved by write-then-rename: a
/// crash leaves the old state or the new one, never half a file.
/// </summary>
internal sealed class ResumeFile
{
    private readonly object _save = new();
    private readonly string _path;
    private ResumeState _state;

    private ResumeFile(string path, ResumeState state)
    {
        _path = path;
        _state = state;
    }

    /// <summary>The seed the scan must walk its permutation with.</summary>
    public ulong Seed => _state.Seed;

    /// <summary>The position the scan starts at: 0 for a new file.</summary>
    public ulong Cursor => (ulong)_state.Cursor;

    public ulong Positions => (ulong)_state.Positions;

    public string Path => _path;

    /// <summary>
    /// Opens <paramref name="path"/> for a scan of <paramref name="request"/>: the saved state when the file exists and
    /// was written for the same targets, ports and sends; a new state (the request's seed, or a random one) when it
    /// does not exist. Null with <paramref name="error"/> when it cannot be used.
    /// </summary>
    public static ResumeFile? Open(string path, ScanRequest request, out string? error)
    {
        error = null;
        var targets = string.Join(",", request.Targets.Ranges);
        var ports = request.Targets.Ports.ToString();
        if (!File.Exists(path))
        {
            var seed = request.Seed ?? BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
            var fresh = new ResumeFile(path, new ResumeState(targets, ports, request.Sends, seed, 0, (long)request.Positions));
            fresh.Save(0);
            return fresh;
        }

        ResumeState? saved;
        try
        {
            saved = JsonSerializer.Deserialize(File.ReadAllBytes(path), ResumeJsonContext.Default.ResumeState);
        }
        catch (JsonException ex)
        {
            error = $"{path} is not a resume file of outpost-probe scan: {ex.Message}";
            return null;
        }

        if (saved is null || saved.Targets != targets || saved.Ports != ports || saved.Sends != request.Sends)
        {
            error = string.Create(CultureInfo.InvariantCulture,
                $"{path} was written for a different scan (targets {saved?.Targets}, ports {saved?.Ports}, {saved?.Sends} sends per probe); this one is targets {targets}, ports {ports}, {request.Sends} sends per probe. Use another file, or delete it to start over.");
            return null;
        }

        if (request.Seed is { } asked && asked != saved.Seed)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"{path} continues the order of seed {saved.Seed}; leave out --seed or give that one.");
            return null;
        }

        return new ResumeFile(path, saved with { Positions = (long)request.Positions });
    }

    /// <summary>Records that every probe below <paramref name="cursor"/> was sent; never moves the saved cursor back.</summary>
    public void Save(long cursor)
    {
        lock (_save)
        {
            if (cursor < _state.Cursor)
            {
                return;
            }

            _state = _state with { Cursor = cursor };
            var temporary = _path + ".tmp";
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(_state, ResumeJsonContext.Default.ResumeState));
            File.Move(temporary, _path, overwrite: true);
        }
    }
}

/// <summary>The resume file's JSON.</summary>
internal sealed record ResumeState(string Targets, string Ports, int Sends, ulong Seed, long Cursor, long Positions);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(ResumeState))]
internal sealed partial class ResumeJsonContext : JsonSerializerContext;
