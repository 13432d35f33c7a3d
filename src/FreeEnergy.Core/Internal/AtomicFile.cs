using System.Globalization;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// Writes a file so that it is always either the old file or the whole new one: the model's checkpoint, the PyTorch
/// weights and their configuration file.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// Deletes the temporaries of <paramref name="path"/> left by processes that no longer run
    /// (<see cref="Checkpoints.DeleteStaleTemporaries"/>), lets <paramref name="write"/> fill
    /// <c>&lt;path&gt;.tmp-&lt;process id&gt;</c>, flushes it to disk and moves it over <paramref name="path"/>. On a
    /// failure the temporary is deleted and <paramref name="path"/> is unchanged.
    /// </summary>
    /// <param name="path">The full path of the file.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    public static void Write(string path, Action<Stream> write)
    {
        Checkpoints.DeleteStaleTemporaries(path);
        string temporary = path + Checkpoints.TemporaryInfix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
