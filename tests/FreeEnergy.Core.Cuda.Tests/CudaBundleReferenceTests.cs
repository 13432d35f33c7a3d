namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>
/// The CUDA bundle is opt-in at build time: FreeEnergy.Core.Cuda references TorchSharp-cuda-linux /
/// TorchSharp-cuda-windows exactly when built with -p:CudaBundle=linux / windows. Checked by MSBuild item
/// evaluation of the project (no restore, so the multi-GB bundles are never downloaded).
/// </summary>
public sealed class CudaBundleReferenceTests(CudaBundleReferenceTests.Evaluations evaluations) : IClassFixture<CudaBundleReferenceTests.Evaluations>
{
    private const string Linux = "TorchSharp-cuda-linux";
    private const string Windows = "TorchSharp-cuda-windows";

    [Fact]
    public async Task ByDefaultOnlyTorchSharpIsReferenced()
    {
        var result = await evaluations.Default;
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var references = result.Items("PackageReference").Select(i => i.Identity).ToList();
        Assert.Contains("TorchSharp", references);
        Assert.DoesNotContain(Linux, references);
        Assert.DoesNotContain(Windows, references);
        Assert.DoesNotContain(references, r => r.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase) || r == "TorchSharp-cpu");
    }

    [Theory]
    [InlineData("linux", Linux, Windows)]
    [InlineData("windows", Windows, Linux)]
    public async Task TheBundlePropertyAddsExactlyThatBundleOfTheSameTorchSharpVersion(string bundle, string expected, string other)
    {
        var result = await evaluations.With(bundle);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var references = result.Items("PackageReference").Select(i => i.Identity).ToList();
        Assert.Contains("TorchSharp", references);
        Assert.Single(references, expected);
        Assert.DoesNotContain(other, references);

        var versions = result.Items("PackageVersion").ToDictionary(i => i.Identity, i => i.Metadata["Version"]);
        Assert.Equal(versions["TorchSharp"], versions[expected]);
        Assert.Equal(CudaErrors.TorchSharpVersion, versions["TorchSharp"]);
    }

    [Fact]
    public async Task AnUnknownBundleFailsTheBuildWithAClearError()
    {
        var result = await evaluations.Invalid;
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("FECUDA001", result.Output, StringComparison.Ordinal);
        Assert.Contains("CudaBundle='macos' is not a known CUDA bundle", result.Output, StringComparison.Ordinal);
        Assert.Contains("-p:CudaBundle=linux", result.Output, StringComparison.Ordinal);
        Assert.Contains("-p:CudaBundle=windows", result.Output, StringComparison.Ordinal);
    }

    /// <summary>Starts every evaluation at once (each is a separate dotnet process of about a second).</summary>
    public sealed class Evaluations
    {
        private readonly Dictionary<string, Task<MsBuildEvaluation.Result>> byBundle;

        public Evaluations()
        {
            string project = RepositoryPaths.CudaProject;
            string[] items = ["-getItem:PackageReference", "-getItem:PackageVersion"];
            Default = MsBuildEvaluation.RunAsync(project, items);
            byBundle = new[] { "linux", "windows" }.ToDictionary(b => b, b => MsBuildEvaluation.RunAsync(project, [.. items, $"-p:CudaBundle={b}"]));

            // CollectPackageReferences is the first step of restore and build; the check runs before it.
            Invalid = MsBuildEvaluation.RunAsync(project, "-t:CollectPackageReferences", "-p:CudaBundle=macos");
        }

        public Task<MsBuildEvaluation.Result> Default { get; }

        public Task<MsBuildEvaluation.Result> Invalid { get; }

        public Task<MsBuildEvaluation.Result> With(string bundle) => byBundle[bundle];
    }
}
