using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Outpost.Ui.Tests.Infrastructure;

/// <summary>
/// Writes the TypeScript declarations of the OpenAPI document the daemon serves: one interface per schema, and
/// <c>Routes</c>, which names every operation as "METHOD /path/{param}" with its path parameters, query, body and
/// answer. The UI's typed door (<c>call</c> in wwwroot/js/api.js) takes its types from <c>Routes</c>, so
/// <c>tsc --checkJs</c> rejects a field name the API does not have. Output is deterministic (schemas in ordinal
/// order, operations in the document's order), so the committed file can be compared byte for byte.
/// </summary>
public static partial class OpenApiTypeScript
{
    public const string Header =
        "// Generated from the OpenAPI document the daemon serves (/openapi/v1.json) by tests/Ui.Tests/ApiTypesTests.cs.\n" +
        "// Do not edit: change the contracts in src/Appliance/Contracts, then regenerate with\n" +
        "//   OUTPOST_WRITE_API_TYPES=1 dotnet test tests/Ui.Tests --filter ApiTypesTests\n";

    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    public static string Generate(JsonElement document)
    {
        var ts = new StringBuilder(Header);
        var schemas = document.GetProperty("components").GetProperty("schemas");
        foreach (var schema in schemas.EnumerateObject().OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            ts.Append('\n');
            AppendDoc(ts, schema.Value, "");
            ts.Append("export type ").Append(schema.Name).Append(" = ").Append(TypeOf(schema.Value, "")).Append(";\n");
        }

        ts.Append("\n/** Every operation of the API, named \"METHOD /path\" as the OpenAPI document names it. */\n");
        ts.Append("export interface Routes {\n");
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in Methods)
            {
                if (path.Value.TryGetProperty(method, out var operation))
                {
                    AppendRoute(ts, $"{method.ToUpperInvariant()} {path.Name}", operation);
                }
            }
        }

        return ts.Append("}\n").ToString();
    }

    private static void AppendRoute(StringBuilder ts, string name, JsonElement operation)
    {
        var pathParams = new List<string>();
        var queryParams = new List<string>();
        if (operation.TryGetProperty("parameters", out var parameters))
        {
            foreach (var p in parameters.EnumerateArray())
            {
                var paramName = Property(p.GetProperty("name").GetString()!);
                switch (p.GetProperty("in").GetString())
                {
                    case "path":
                        pathParams.Add($"{paramName}: string | number");
                        break;
                    case "query":
                        queryParams.Add($"{paramName}?: string | number | boolean | null");
                        break;
                }
            }
        }

        var body = operation.TryGetProperty("requestBody", out var requestBody) && JsonSchema(requestBody) is { } bodySchema
            ? TypeOf(bodySchema, "    ")
            : "never";
        ts.Append("  '").Append(name).Append("': {\n");
        ts.Append("    path: {").Append(string.Join("; ", pathParams)).Append("};\n");
        ts.Append("    query: {").Append(string.Join("; ", queryParams)).Append("};\n");
        ts.Append("    body: ").Append(body).Append(";\n");
        ts.Append("    response: ").Append(ResponseOf(operation)).Append(";\n");
        ts.Append("  };\n");
    }

    /// <summary>The first success answer: its JSON type, null for an empty one (204), unknown for one that is not JSON.</summary>
    private static string ResponseOf(JsonElement operation)
    {
        foreach (var response in operation.GetProperty("responses").EnumerateObject().OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            if (!response.Name.StartsWith('2'))
            {
                continue;
            }

            if (JsonSchema(response.Value) is { } schema)
            {
                return TypeOf(schema, "    ");
            }

            return response.Name == "204" ? "null" : "unknown";
        }

        return "unknown";
    }

    private static JsonElement? JsonSchema(JsonElement withContent) =>
        withContent.TryGetProperty("content", out var content)
        && content.TryGetProperty("application/json", out var json)
        && json.TryGetProperty("schema", out var schema)
            ? schema
            : null;

    private static string TypeOf(JsonElement schema, string indent)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            return reference.GetString()!.Split('/')[^1];
        }

        if (schema.TryGetProperty("oneOf", out var oneOf) || schema.TryGetProperty("anyOf", out oneOf))
        {
            return string.Join(" | ", oneOf.EnumerateArray().Select(s => TypeOf(s, indent)));
        }

        if (schema.TryGetProperty("enum", out var values))
        {
            return string.Join(" | ", values.EnumerateArray().Select(v => v.GetRawText()));
        }

        if (!schema.TryGetProperty("type", out var type))
        {
            return "any";
        }

        var names = type.ValueKind == JsonValueKind.Array
            ? type.EnumerateArray().Select(t => t.GetString()!).ToList()
            : [type.GetString()!];
        return string.Join(" | ", names.Select(name => name switch
        {
            "string" => "string",
            "integer" or "number" => "number",
            "boolean" => "boolean",
            "null" => "null",
            "array" => ArrayOf(schema, indent),
            "object" => ObjectOf(schema, indent),
            _ => "any",
        }));
    }

    private static string ArrayOf(JsonElement schema, string indent)
    {
        var item = schema.TryGetProperty("items", out var items) ? TypeOf(items, indent) : "any";
        return item.Contains(' ', StringComparison.Ordinal) && !item.StartsWith('{') ? $"Array<{item}>" : $"{item}[]";
    }

    private static string ObjectOf(JsonElement schema, string indent)
    {
        if (!schema.TryGetProperty("properties", out var properties))
        {
            return schema.TryGetProperty("additionalProperties", out var values) && values.ValueKind == JsonValueKind.Object
                ? $"Record<string, {TypeOf(values, indent)}>"
                : "Record<string, any>";
        }

        var required = schema.TryGetProperty("required", out var names)
            ? names.EnumerateArray().Select(n => n.GetString()!).ToHashSet(StringComparer.Ordinal)
            : [];
        var inner = indent + "  ";
        var ts = new StringBuilder("{\n");
        foreach (var property in properties.EnumerateObject())
        {
            AppendDoc(ts, property.Value, inner);
            ts.Append(inner).Append(Property(property.Name)).Append(required.Contains(property.Name) ? ": " : "?: ")
                .Append(TypeOf(property.Value, inner)).Append(";\n");
        }

        return ts.Append(indent).Append('}').ToString();
    }

    private static void AppendDoc(StringBuilder ts, JsonElement schema, string indent)
    {
        if (schema.TryGetProperty("description", out var description) && description.GetString() is { Length: > 0 } text)
        {
            var lines = text.Replace("*/", "*\\/", StringComparison.Ordinal).Split('\n');
            if (lines.Length == 1)
            {
                ts.Append(indent).Append("/** ").Append(lines[0]).Append(" */\n");
                return;
            }

            ts.Append(indent).Append("/**\n");
            foreach (var line in lines)
            {
                ts.Append(indent).Append(line.Length == 0 ? " *" : " * ").Append(line).Append('\n');
            }

            ts.Append(indent).Append(" */\n");
        }
    }

    private static string Property(string name) => Identifier().IsMatch(name) ? name : $"'{name}'";

    [GeneratedRegex("^[A-Za-z_$][A-Za-z0-9_$]*$")]
    private static partial Regex Identifier();
}
