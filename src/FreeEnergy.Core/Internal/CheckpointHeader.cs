using FreeEnergy.Core.Models;

namespace FreeEnergy.Core.Internal;

/// <summary>The JSON header of a model checkpoint.</summary>
/// <param name="Format">Always <see cref="FormatName"/>.</param>
/// <param name="FormatVersion">The checkpoint format version: 1 (no checksum) or 2 (payload length and SHA-256).</param>
/// <param name="LibraryVersion">The version of FreeEnergy.Core that wrote the file.</param>
/// <param name="Configuration">The model configuration.</param>
/// <param name="PayloadLength">Version 2: the number of bytes of weights after the header.</param>
/// <param name="PayloadSha256">Version 2: the SHA-256 of those bytes, lowercase hexadecimal.</param>
internal sealed record CheckpointHeader(string Format, int FormatVersion, string LibraryVersion, ModelConfiguration Configuration, long? PayloadLength = null, string? PayloadSha256 = null)
{
    public const string FormatName = "FreeEnergy.Core.RateDistortionModel";
}
