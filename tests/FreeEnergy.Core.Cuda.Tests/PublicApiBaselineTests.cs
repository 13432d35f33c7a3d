namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>
/// Every package project under src/ checks its public API against a baseline at build time (PublicApiAnalyzers with
/// PublicAPI.Shipped.txt and PublicAPI.Unshipped.txt; docs/packaging.md). Checked by MSBuild item evaluation of each
/// project, so a new package project without a baseline, or one whose analyzer reference was dropped, fails here.
/// </summary>
public sealed class PublicApiBaselineTests
{
    [Fact]
    public async Task EveryPackageProjectReferencesTheAnalyzerAndBothBaselineFiles()
    {
        string[] projects = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories);
        Assert.True(projects.Length >= 3, $"expected the three package projects under src/, found {projects.Length}");
        var evaluations = projects.ToDictionary(p => p, p => MsBuildEvaluation.RunAsync(p, "-getItem:PackageReference", "-getItem:AdditionalFiles"));
        foreach (var (project, evaluation) in evaluations)
        {
            var result = await evaluation;
            string name = Path.GetFileNameWithoutExtension(project);
            Assert.True(result.ExitCode == 0, $"{name}: {result.Output}{result.Error}");

            var analyzer = Assert.Single(result.Items("PackageReference"), i => i.Identity == "Microsoft.CodeAnalysis.PublicApiAnalyzers");
            Assert.Equal("all", analyzer.Metadata["PrivateAssets"]);

            var files = result.Items("AdditionalFiles").Select(i => Path.GetFileName(i.Identity)).ToList();
            foreach (string baseline in (string[])["PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt"])
            {
                Assert.True(files.Contains(baseline), $"{name} does not pass {baseline} to the analyzer (AdditionalFiles: {string.Join(", ", files)}); run scripts/update-public-api.sh");
                string path = Path.Combine(Path.GetDirectoryName(project)!, baseline);
                Assert.Equal("#nullable enable", File.ReadLines(path).FirstOrDefault());
            }

            // The public API is listed (one of the two files has entries), so the check is not vacuous.
            int entries = ((string[])["PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt"])
                .Sum(f => File.ReadLines(Path.Combine(Path.GetDirectoryName(project)!, f)).Count(l => l.Length > 0 && !l.StartsWith('#')));
            Assert.True(entries > 0, $"{name}'s baseline lists no public symbol; run scripts/update-public-api.sh");
        }
    }
}
