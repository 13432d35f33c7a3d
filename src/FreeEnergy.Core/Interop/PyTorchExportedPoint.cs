namespace FreeEnergy.Core.Interop;

/// <summary>
/// One point of an equilibrium surface exported by <see cref="PyTorchSurfaceExport.ExportPyTorch"/>: its plan
/// index, multipliers and measured functionals (nats per example, as the sweep recorded them on its evaluation
/// data), and the names of its two files inside the export folder. Also one entry of the folder's
/// <c>manifest.json</c>.
/// </summary>
/// <param name="Index">The point's plan index.</param>
/// <param name="Lambda">λ.</param>
/// <param name="Gamma">γ.</param>
/// <param name="Rate">R in nats per example.</param>
/// <param name="Distortion">D in nats per example.</param>
/// <param name="Classification">C in nats per example.</param>
/// <param name="Accuracy">Accuracy in [0, 1].</param>
/// <param name="Weights">The weights file's name in the export folder (for example <c>point-003.safetensors</c>).</param>
/// <param name="Configuration">The configuration file's name in the export folder (<c>point-003.config.json</c>).</param>
public sealed record PyTorchExportedPoint(
    int Index,
    double Lambda,
    double Gamma,
    double Rate,
    double Distortion,
    double Classification,
    double Accuracy,
    string Weights,
    string Configuration);
