using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Internal;

/// <summary>Helpers of the checkpoint format: the payload checksum, the finiteness check and the temporary files of a save.</summary>
internal static class Checkpoints
{
    /// <summary>A save writes <c>&lt;checkpoint&gt;.tmp-&lt;process id&gt;</c> and moves it into place.</summary>
    public const string TemporaryInfix = ".tmp-";

    /// <summary>The SHA-256 of <paramref name="payload"/>, lowercase hexadecimal.</summary>
    public static string Sha256(byte[] payload) => Convert.ToHexStringLower(SHA256.HashData(payload));

    /// <summary>The name of the first floating-point parameter or buffer of <paramref name="module"/> holding a NaN or an infinity, or null.</summary>
    public static string? FirstNonFinite(nn.Module module)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, value) in module.state_dict())
        {
            if (value.is_floating_point() && value.numel() > 0 && !value.isfinite().all().item<bool>())
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>
    /// Deletes the temporary files of <paramref name="checkpoint"/> (<c>.tmp-&lt;pid&gt;</c>) whose process no longer
    /// runs: a process killed while writing a checkpoint leaves one behind. Files of live processes are left alone.
    /// </summary>
    public static void DeleteStaleTemporaries(string checkpoint)
    {
        string folder = Path.GetDirectoryName(checkpoint)!;
        string prefix = Path.GetFileName(checkpoint) + TemporaryInfix;
        foreach (string file in System.IO.Directory.EnumerateFiles(folder, prefix + "*"))
        {
            string suffix = Path.GetFileName(file)[prefix.Length..];
            if (!int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId || IsRunning(pid))
            {
                continue;
            }

            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // Another process cleaned it up or holds it: leave it.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to delete.
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
