using System.Diagnostics;
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
    public static async Task<Result> RunAsync(string project, params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.Root,
        };
        foreach (string argument in (string[])["msbuild", project, "-nologo", "-nodeReuse:false", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        // Variables the test host inherits from the outer build would redirect the child's MSBuild.
        foreach (string name in (string[])["MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "MSBuildLoadMicrosoftTargetsReadOnly"])
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await output, await error);
    }

    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? process = Environment.ProcessPath;
        return process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : "dotnet";
    }
}
