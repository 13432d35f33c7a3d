namespace FreeEnergy.Datasets.Internal;

/// <summary>The content of one IDX image file: <see cref="Count"/> images of <see cref="Rows"/> × <see cref="Columns"/> unsigned bytes, row-major.</summary>
internal sealed record IdxImages(string Name, int Count, int Rows, int Columns, byte[] Pixels);
