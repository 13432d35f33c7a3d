using System.Globalization;
using System.Text;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// The one-writer rule of a records file: an exclusive lock on <c>&lt;records file&gt;.lock</c> (which also covers
/// its checkpoint folder <c>&lt;records file&gt;.models/</c>), held for the whole run. The lock is the operating
/// system's (on Linux and macOS an advisory <c>flock</c>, on Windows a share-none open), so it is released when
/// the process ends, however it ends. The lock file stays in place (deleting it would let a third writer lock a
/// new file while a second one still holds the old); it holds the process id of the last writer, for people.
/// </summary>
internal static class RecordsLock
{
    /// <summary>Takes the lock of <paramref name="recordFile"/> or throws at once, naming the file; dispose the result to release it.</summary>
    /// <exception cref="IOException">Another run (this or another process) holds the lock; nothing was changed.</exception>
    public static IDisposable Acquire(string recordFile)
    {
        string full = Path.GetFullPath(recordFile);
        string lockPath = full + ".lock";
        string? folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException(
                $"'{full}' is being written by another run (it holds the lock '{lockPath}'): one writer per records file. Wait for it to finish, or give this run another records file (another --out folder); nothing was changed.",
                ex);
        }

        try
        {
            stream.SetLength(0);
            stream.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
            stream.Flush();
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
