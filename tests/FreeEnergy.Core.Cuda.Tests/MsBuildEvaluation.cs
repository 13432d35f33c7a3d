using System.Text.Json;

namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>Runs <c>dotnet msbuild</c> on a project as a child process: item evaluation only, no restore.</summary>
public static class MsBuildEvaluation
{
    /// <summary>The result of one run.</summary>
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        /// <summary>The items of type <paramref name="itemType"/> as (identity, metadata) pairs.</summary>
        public IReadOnlyList<(string Identity, IReadOnlyDictionary<string, string> Metadata)> Items(string itemType)
        {
            using var json = JsonDocument.Parse(Output);
            return [.. json.RootElement.GetProperty("Items").GetProperty(itemType).EnumerateArray()
                .Select(item => (
                    item.GetProperty("Identity").GetString()!,
                    (IReadOnlyDictionary<string, string>)item.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString())))];
        }
    }

    /// <summary>Runs <c>dotnet msbuild <paramref name="project"/> <paramref name="arguments"/></c>.</summary>
    public static Task<Result> RunAsync(string project, params string[] arguments)
    {
        var start = ChildProcess.StartInfo(ChildProcess.DotnetHost, ["msbuild", project, "-nologo", "-nodeReuse:false", .. arguments], RepositoryPaths.Root);

        // Variables the test host inherits from the outer build would redirect the child's MSBuild.
        foreach (string name in (string[])["MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "MSBuildLoadMicrosoftTargetsReadOnly"])
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        return Task.Run(() =>
        {
            var result = ChildProcess.Run(start, TimeSpan.FromMinutes(2));
            return result.TimedOut
                ? throw new TimeoutException($"dotnet msbuild {project} did not finish within 2 minutes:\n{result.Interleaved}")
                : new Result(result.ExitCode, result.Output, result.Error);
        });
    }
}
