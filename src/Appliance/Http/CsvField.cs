namespace Outpost.Appliance.Http;

/// <summary>How every CSV export writes a text field it does not control (names, titles, evidence).</summary>
public static class CsvField
{
    /// <summary>RFC 4180 quoting; a leading = + - @ is prefixed with ' so a spreadsheet never runs a value as a formula.</summary>
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
