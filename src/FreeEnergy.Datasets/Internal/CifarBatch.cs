namespace FreeEnergy.Datasets.Internal;

/// <summary>The records of one CIFAR-10 binary batch, validated: <see cref="Count"/> records of <see cref="CifarFormat.RecordSize"/> bytes.</summary>
internal sealed record CifarBatch(string Name, int Count, byte[] Records);
