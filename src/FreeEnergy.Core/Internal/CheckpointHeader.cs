using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Internal;

/// <summary>The JSON header of a model checkpoint.</summary>
/// <param name="Format">Always <see cref="FormatName"/>.</param>
/// <param name="FormatVersion">The checkpoint format version.</param>
/// <param name="LibraryVersion">The version of FreeEnergy.Core that wrote the file.</param>
/// <param name="Configuration">The model configuration.</param>
internal sealed record CheckpointHeader(string Format, int FormatVersion, string LibraryVersion, ModelConfiguration Configuration)
{
    public const string FormatName = "FreeEnergy.Core.RateDistortionModel";
}
