// Runs the snippets of docs/api-guide.md: no argument lists them, "all" runs every one, names run those.
using System.Diagnostics;
using System.Globalization;
using FreeEnergy.ApiGuide;
using FreeEnergy.Core.Diagnostics;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length == 0)
{
    Console.WriteLine("usage: dotnet run -c Release --project samples/FreeEnergy.ApiGuide -- <snippet>... | all");
    foreach (string name in SnippetCatalog.Names)
    {
        Console.WriteLine($"  {name,-22} {SnippetCatalog.Summary(name)}");
    }

    return 0;
}

string[] names = args is ["all"] ? [.. SnippetCatalog.Names] : args;
string[] unknown = [.. names.Where(n => !SnippetCatalog.Names.Contains(n))];
if (unknown.Length > 0)
{
    Console.Error.WriteLine($"unknown snippet(s): {string.Join(", ", unknown)}; run without arguments for the list");
    return 2;
}

FreeEnergyRuntime.SetThreadCount(1); // once, at start-up (see the runtime snippet)
using var context = new SnippetContext();
foreach (string name in names)
{
    Console.WriteLine($"== {name}: {SnippetCatalog.Summary(name)}");
    var clock = Stopwatch.StartNew();
    SnippetCatalog.Run(name, context);
    Console.WriteLine($"== {name}: {clock.Elapsed.TotalSeconds:F1} s");
}

return 0;
