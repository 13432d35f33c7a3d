using System.Globalization;

namespace FreeEnergy.SystemInfo;

/// <summary>The command line of the tool.</summary>
/// <param name="Device">"auto" (CUDA when usable, else the CPU), "cpu" or "cuda".</param>
/// <param name="CudaIndex">The CUDA device index for "auto" and "cuda".</param>
/// <param name="Steps">Timed training steps (after 3 warm-up steps).</param>
/// <param name="Threads">The intra-op thread count to set first, or null to keep torch's default.</param>
internal sealed record SystemInfoOptions(string Device = "auto", int CudaIndex = 0, int Steps = 20, int? Threads = null)
{
    /// <summary>The usage text.</summary>
    public const string Usage = "usage: FreeEnergy.SystemInfo [--device auto|cpu|cuda] [--cuda-index N] [--steps N] [--threads N]";

    /// <summary>Parses <paramref name="args"/>; null (with <paramref name="error"/> set) when they are invalid.</summary>
    public static SystemInfoOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new SystemInfoOptions();
        error = null;
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help")
            {
                error = Usage;
                return null;
            }

            if (i + 1 >= args.Count)
            {
                error = $"'{name}' needs a value. {Usage}";
                return null;
            }

            string value = args[++i];
            bool isCount = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number);
            switch (name)
            {
                case "--device" when value is "auto" or "cpu" or "cuda":
                    options = options with { Device = value };
                    break;
                case "--cuda-index" when isCount:
                    options = options with { CudaIndex = number };
                    break;
                case "--steps" when isCount && number >= 1:
                    options = options with { Steps = number };
                    break;
                case "--threads" when isCount && number >= 1:
                    options = options with { Threads = number };
                    break;
                default:
                    error = $"Invalid option '{name} {value}'. {Usage}";
                    return null;
            }
        }

        return options;
    }
}
