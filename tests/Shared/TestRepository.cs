namespace FreeEnergy.Testing;

/// <summary>The repository this test assembly was built from. Linked into every test project from tests/Shared.</summary>
internal static class TestRepository
{
    /// <summary>The folder holding FreeEnergy.Core.sln, found above the test assembly's folder.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "FreeEnergy.Core.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"FreeEnergy.Core.sln not found above {AppContext.BaseDirectory}.");
    }
}
