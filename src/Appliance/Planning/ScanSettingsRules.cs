using System.Globalization;
using Outpost.Appliance.Scheduling;
using Outpost.Probe.Targets;

namespace Outpost.Appliance.Planning;

/// <summary>Validation and normalisation of the scan settings document: what PUT accepts is what dispatch can use.</summary>
public static class ScanSettingsRules
{
    /// <summary>The most connections to one address at once a setting may ask for: beyond it, a scan floods small devices.</summary>
    public const int MaxConnectionsPerHost = 64;

    private static readonly string[] Days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    /// <summary>Null when <paramref name="settings"/> is valid (then <paramref name="normalized"/> is what to store), else the first problem.</summary>
    public static string? Validate(ScanSettings settings, out ScanSettings normalized)
    {
        normalized = settings;
        var windows = new List<ScanWindow>();
        for (var i = 0; i < settings.Windows.Count; i++)
        {
            var window = settings.Windows[i];
            if (window is null)
            {
                return $"windows[{i}] is null.";
            }

            var days = new List<string>();
            foreach (var day in window.Days ?? [])
            {
                var d = day?.Trim().ToLowerInvariant();
                if (d is null || Array.IndexOf(Days, d) < 0)
                {
                    return $"windows[{i}].days: '{day}' is not one of mon, tue, wed, thu, fri, sat, sun.";
                }

                if (!days.Contains(d))
                {
                    days.Add(d);
                }
            }

            if (!TimeOnly.TryParseExact(window.Start, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
                || !TimeOnly.TryParseExact(window.End, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end))
            {
                return $"windows[{i}]: start and end must be times of day as HH:mm.";
            }

            if (start == end)
            {
                return $"windows[{i}]: start and end are the same time.";
            }

            windows.Add(new ScanWindow(days, window.Start, window.End));
        }

        var subnets = new List<SubnetLimit>();
        for (var i = 0; i < settings.SubnetLimits.Count; i++)
        {
            var limit = settings.SubnetLimits[i];
            if (limit is null)
            {
                return $"subnetLimits[{i}] is null.";
            }

            if (!Ipv4Range.TryParse(limit.Cidr, out var range, out var error))
            {
                return $"subnetLimits[{i}]: {error}";
            }

            if (limit.MaxProbesPerSecond is < 1 or > ProbeRate.Max)
            {
                return $"subnetLimits[{i}].maxProbesPerSecond must be from 1 to {ProbeRate.Max}.";
            }

            subnets.Add(new SubnetLimit(range.ToString(), limit.MaxProbesPerSecond));
        }

        var portLists = new List<PortListSetting>();
        for (var i = 0; i < settings.PortLists.Count; i++)
        {
            var list = settings.PortLists[i];
            if (list is null)
            {
                return $"portLists[{i}] is null.";
            }

            var name = list.Name?.Trim();
            if (string.IsNullOrEmpty(name) || name.Length > 64 || !name.Any(char.IsLetter))
            {
                return $"portLists[{i}].name must be 1 to 64 characters with at least one letter (so it cannot be mistaken for ports).";
            }

            if (portLists.Exists(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                return $"portLists[{i}].name '{name}' is used twice.";
            }

            if (!PortList.TryParse(list.Ports, out var ports, out var error))
            {
                return $"portLists[{i}]: {error}";
            }

            if (list.MaxProbesPerSecond is < 1 or > ProbeRate.Max)
            {
                return $"portLists[{i}].maxProbesPerSecond must be from 1 to {ProbeRate.Max}.";
            }

            portLists.Add(new PortListSetting(name, ports!.ToString(), list.MaxProbesPerSecond));
        }

        var header = string.IsNullOrWhiteSpace(settings.AttributionHeader) ? null : settings.AttributionHeader.Trim();
        if (header is not null && (header.Length > 256 || !header.All(c => c is >= ' ' and <= '~')))
        {
            return "attributionHeader must be at most 256 printable ASCII characters on one line.";
        }

        if (settings.DefaultMaxProbesPerSecond is < 1 or > ProbeRate.Max)
        {
            return $"defaultMaxProbesPerSecond must be from 1 to {ProbeRate.Max}.";
        }

        if (settings.MaxConnectionsPerHost is < 1 or > MaxConnectionsPerHost)
        {
            return $"maxConnectionsPerHost must be from 1 to {MaxConnectionsPerHost}.";
        }

        var zone = settings.TimeZone?.Trim();
        if (ScanWindowCalendar.FindZone(zone) is null)
        {
            return $"timeZone: '{zone}' is not a known time zone (use an IANA name such as Europe/Berlin, or UTC).";
        }

        if (ValidateExclusions(settings.Exclusions, out var exclusions) is { } exclusionsError)
        {
            return exclusionsError;
        }

        normalized = new ScanSettings
        {
            Windows = windows,
            SubnetLimits = subnets,
            PortLists = portLists,
            AttributionHeader = header,
            DefaultMaxProbesPerSecond = settings.DefaultMaxProbesPerSecond,
            MaxConnectionsPerHost = settings.MaxConnectionsPerHost,
            TimeZone = zone!,
            Exclusions = exclusions,
        };
        return null;
    }

    private static string? ValidateExclusions(IReadOnlyList<Exclusion>? given, out List<Exclusion> exclusions)
    {
        exclusions = [];
        given ??= [];
        if (given.Count > ExclusionSet.MaxEntries)
        {
            return $"exclusions holds at most {ExclusionSet.MaxEntries} entries.";
        }

        for (var i = 0; i < given.Count; i++)
        {
            var exclusion = given[i];
            if (exclusion is null)
            {
                return $"exclusions[{i}] is null.";
            }

            // The engine's own parser, so what is saved is exactly what a scanner enforces.
            if (!ExclusionSet.TryParse([exclusion.Target], out var parsed, out var error))
            {
                return $"exclusions[{i}].target: {error}";
            }

            var pool = string.IsNullOrWhiteSpace(exclusion.Pool) ? null : exclusion.Pool.Trim();
            if (pool is { Length: > 64 } || (pool is not null && !pool.All(c => c is >= ' ' and <= '~')))
            {
                return $"exclusions[{i}].pool must be at most 64 printable ASCII characters (or absent for every scanner).";
            }

            exclusions.Add(new Exclusion(parsed!.Entries[0], pool));
        }

        return null;
    }
}
