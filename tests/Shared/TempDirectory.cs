using System.Reflection;

namespace FreeEnergy.Testing;

/// <summary>
/// A fresh folder under the system's temporary folder, named after the test assembly, deleted on dispose. Linked into
/// every test project from tests/Shared.
/// </summary>
internal sealed class TempDirectory : IDisposable
{
    private static readonly string Prefix = (Assembly.GetExecutingAssembly().GetName().Name ?? "freeenergy-tests").ToLowerInvariant().Replace('.', '-');

    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{Prefix}-{Guid.NewGuid():N}");

    /// <summary>The path of <paramref name="name"/> inside this folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="name"/> inside this folder; returns its path.</summary>
    public string Write(string name, byte[] bytes)
    {
        string path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }
}
