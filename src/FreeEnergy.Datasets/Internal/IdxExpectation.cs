using System.Globalization;

namespace FreeEnergy.Datasets.Internal;

/// <summary>What a specific IDX dataset (for example Fashion-MNIST) must look like beyond the format: image size and number of classes.</summary>
internal sealed record IdxExpectation(string DatasetName, int Rows, int Columns, int ClassCount)
{
    public void Check(IdxImages images, IdxLabels labels)
    {
        if (images.Rows != Rows || images.Columns != Columns)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"'{images.Name}': {DatasetName} images are {Rows} × {Columns} pixels but this file holds {images.Rows} × {images.Columns}."));
        }

        int bad = Array.FindIndex(labels.Labels, l => l >= ClassCount);
        if (bad >= 0)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"'{labels.Name}': label {bad} is {labels.Labels[bad]}, but {DatasetName} has {ClassCount} classes (labels 0–{ClassCount - 1})."));
        }
    }
}
