using Microsoft.Build.Locator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.MSBuild;
using Microsoft.CodeAnalysis.Rename;

// The naming rules of .editorconfig, applied by Roslyn's own rename (every reference follows, across partial files
// and projects), because `dotnet format` finds no code fix for IDE1006. Only fields, parameters and locals are
// renamed: types, methods and properties already follow the rules, and renaming them would be an API change.
//   dotnet run -c Release --project scripts/house-names -- Appliance.sln
MSBuildLocator.RegisterDefaults();
return await HouseNames.RunAsync(args.Length > 0 ? args[0] : "Appliance.sln");

internal static class HouseNames
{
    public static async Task<int> RunAsync(string solutionPath)
    {
        using var workspace = MSBuildWorkspace.Create();
        var solution = await workspace.OpenSolutionAsync(solutionPath);

        // Look once over every document, then rename one symbol at a time, finding it again in its own document: every
        // rename changes the solution the next one works on, but not where a declaration lives or what it is called.
        var plans = new List<Plan>();
        await foreach (var (document, symbol, name) in DeclarationsAsync(solution))
        {
            plans.Add(new Plan(document.Id, symbol.Kind, symbol.Name, symbol.ContainingSymbol?.ToDisplayString(), name));
        }

        foreach (var plan in plans)
        {
            ISymbol? symbol = null;
            await foreach (var (_, found, _) in DeclarationsAsync(solution, plan.Document))
            {
                if (found.Kind == plan.Kind && found.Name == plan.Name && found.ContainingSymbol?.ToDisplayString() == plan.Container)
                {
                    symbol = found;
                    break;
                }
            }

            if (symbol is null)
            {
                Console.Error.WriteLine($"lost track of {plan.Kind} {plan.Container}.{plan.Name}");
                return 1;
            }

            Console.WriteLine($"{plan.Kind} {plan.Container}.{plan.Name} -> {plan.NewName}");
            solution = await Renamer.RenameSymbolAsync(solution, symbol, new SymbolRenameOptions(), plan.NewName);
        }

        if (!workspace.TryApplyChanges(solution))
        {
            Console.Error.WriteLine("could not write the changes");
            return 1;
        }

        Console.WriteLine($"{plans.Count} names changed");
        return 0;
    }

    private sealed record Plan(DocumentId Document, SymbolKind Kind, string Name, string? Container, string NewName);

    /// <summary>Declarations whose names break the rules, with the names the rules want; in one document, or in all.</summary>
    private static async IAsyncEnumerable<(Document Document, ISymbol Symbol, string Name)> DeclarationsAsync(Solution solution, DocumentId? only = null)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var documents = only is null ? solution.Projects.SelectMany(p => p.Documents) : [solution.GetDocument(only)!];
        foreach (var document in documents)
        {
            // A file compiled into several projects (linked) is renamed once, from its first project.
            if (document.FilePath is null || !seen.Add(document.FilePath) || document.FilePath.Contains("/obj/", StringComparison.Ordinal)
                || document.FilePath.Contains("/artifacts/", StringComparison.Ordinal))
            {
                continue;
            }

            var root = await document.GetSyntaxRootAsync();
            var model = await document.GetSemanticModelAsync();
            if (root is null || model is null)
            {
                continue;
            }

            foreach (var node in root.DescendantNodes())
            {
                var symbol = node switch
                {
                    VariableDeclaratorSyntax v => model.GetDeclaredSymbol(v),
                    // A record's positional parameters are its properties: PascalCase by the type rules.
                    ParameterSyntax p when p.Parent?.Parent is not RecordDeclarationSyntax => model.GetDeclaredSymbol(p),
                    SingleVariableDesignationSyntax d => model.GetDeclaredSymbol(d),
                    ForEachStatementSyntax f => model.GetDeclaredSymbol(f),
                    CatchDeclarationSyntax c => model.GetDeclaredSymbol(c),
                    _ => null,
                };
                if (symbol is not null && !symbol.IsImplicitlyDeclared && Wanted(symbol) is { } name && name != symbol.Name)
                {
                    yield return (document, symbol, name);
                }
            }
        }
    }

    /// <summary>The name the rules ask for, or null when the rules say nothing about this symbol.</summary>
    private static string? Wanted(ISymbol symbol)
    {
        // Hungarian-style prefixes (t_ thread-static, s_ static, m_ member) go: the rules say what the name shows.
        var name = symbol.Name.Length > 2 && symbol.Name[1] == '_' && symbol.Name[0] is 't' or 's' or 'm' ? symbol.Name[2..] : symbol.Name;
        var bare = name.TrimStart('_');
        if (bare.Length == 0 || symbol.Name.StartsWith('@'))
        {
            return null;
        }

        return symbol switch
        {
            IFieldSymbol { IsConst: true } or IFieldSymbol { IsStatic: true, IsReadOnly: true } => Pascal(bare),
            IFieldSymbol { DeclaredAccessibility: Accessibility.Private or Accessibility.Internal or Accessibility.ProtectedAndInternal } => "_" + Camel(bare),
            IFieldSymbol => Pascal(bare),
            ILocalSymbol { IsConst: true } => Pascal(bare),
            ILocalSymbol or IParameterSymbol => Camel(bare),
            _ => null,
        };
    }

    private static string Pascal(string name) => char.ToUpperInvariant(name[0]) + name[1..];

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
