namespace FreeEnergy.Datasets.Internal;

/// <summary>The content of one IDX label file: one unsigned byte per example.</summary>
internal sealed record IdxLabels(string Name, byte[] Labels);
