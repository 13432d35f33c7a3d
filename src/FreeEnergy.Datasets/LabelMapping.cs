namespace FreeEnergy.Datasets;

/// <summary>What a class subset does with the labels of the classes it keeps.</summary>
public enum LabelMapping
{
    /// <summary>
    /// Keep the original labels (classes 5–9 stay 5–9), so source and target tasks share one classifier
    /// head over all classes: the setup of Gao and Chaudhari's transfer experiments.
    /// </summary>
    KeepOriginal,

    /// <summary>Renumber the kept classes 0 … k − 1 in the order they were given (for a k-way head per task).</summary>
    Remap,
}
