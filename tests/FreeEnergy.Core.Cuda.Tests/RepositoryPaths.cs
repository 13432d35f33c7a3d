namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>Paths inside the repository this test assembly was built from.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string CudaProject => Path.Combine(Root, "src", "FreeEnergy.Core.Cuda", "FreeEnergy.Core.Cuda.csproj");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FreeEnergy.Core.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"FreeEnergy.Core.sln not found above {AppContext.BaseDirectory}.");
    }
}
