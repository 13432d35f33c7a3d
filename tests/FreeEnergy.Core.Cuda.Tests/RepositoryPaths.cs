namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>Paths inside the repository this test assembly was built from.</summary>
public static class RepositoryPaths
{
    public static string Root => TestRepository.Root;

    public static string CudaProject => Path.Combine(Root, "src", "FreeEnergy.Core.Cuda", "FreeEnergy.Core.Cuda.csproj");
}
