using System.Net.Http.Headers;
using System.Text.Json;
using Outpost.Ui.Tests.Infrastructure;

namespace Outpost.Ui.Tests;

/// <summary>
/// The web UI's data access is checked against the OpenAPI document the daemon serves: the committed declarations
/// (wwwroot/js/api-types.d.ts) are what the daemon's document generates, and <c>tsc --checkJs</c> passes over wwwroot/js,
/// where every page reaches the API through the typed <c>call</c> of api.js. A UI field name the API does not have fails here.
/// </summary>
public sealed class ApiTypesTests
{
    private static readonly string JsDir = Path.Combine(Daemon.RepoRoot(), "src", "Appliance", "wwwroot", "js");
    private static readonly string TypesFile = Path.Combine(JsDir, "api-types.d.ts");

    [Fact]
    public async Task Committed_api_types_are_what_the_daemon_serves()
    {
        await using var daemon = await Daemon.StartAsync();
        using var http = new HttpClient { BaseAddress = daemon.BaseUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Daemon.AdminToken);
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)));
        var generated = OpenApiTypeScript.Generate(document.RootElement);

        // Regenerating is a deliberate act of the developer who changed a contract, never a side effect of a test run.
        if (Environment.GetEnvironmentVariable("OUTPOST_WRITE_API_TYPES") == "1")
        {
            await File.WriteAllTextAsync(TypesFile, generated);
        }

        var committed = File.Exists(TypesFile) ? await File.ReadAllTextAsync(TypesFile) : "";
        Assert.True(
            committed == generated,
            $"{TypesFile} differs from what /openapi/v1.json generates; run OUTPOST_WRITE_API_TYPES=1 dotnet test tests/Ui.Tests --filter ApiTypesTests and commit it.");
    }

    [Fact]
    public async Task The_ui_type_checks_against_the_api()
    {
        var (code, output) = await TypeScriptCheck.CheckAsync(JsDir);
        Assert.True(code == 0, $"tsc --checkJs over {JsDir} failed:\n{output}");
    }

    [Fact]
    public async Task A_field_the_api_does_not_have_fails_the_check()
    {
        // The same scripts plus one page that reads a misspelt field of a typed answer: the check must name it.
        var copy = Directory.CreateTempSubdirectory("outpost-ts-").FullName;
        try
        {
            foreach (var file in Directory.EnumerateFiles(JsDir, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(copy, Path.GetRelativePath(JsDir, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }

            await File.WriteAllTextAsync(Path.Combine(copy, "pages", "drift.js"), """
                import { call } from '../api.js';

                export async function drift() {
                  const data = await call('GET /api/scans');
                  return data.scans.map(s => s.recurring?.cron ?? s.schedule?.cron);
                }
                """);
            var (code, output) = await TypeScriptCheck.CheckAsync(copy);
            Assert.NotEqual(0, code);
            Assert.Contains("drift.js(5,", output, StringComparison.Ordinal);
            Assert.Contains("Property 'schedule' does not exist on type", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
