using System.Globalization;
using System.Text.Json;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Interop;

/// <summary>Exports the models kept at the points of an <see cref="EquilibriumSurface"/> as PyTorch weights.</summary>
public static class PyTorchSurfaceExport
{
    /// <summary>The name of the manifest an export writes into its folder.</summary>
    public const string ManifestName = "manifest.json";

    /// <summary>The <c>format</c> field of the manifest.</summary>
    public const string ManifestFormat = "FreeEnergy.Core.PyTorchSurface";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    /// <summary>
    /// Writes the model of every finished point of <paramref name="surface"/> into <paramref name="folder"/> (created
    /// if missing) as <c>point-&lt;index&gt;.pt</c> or <c>.safetensors</c> with its <c>.config.json</c>
    /// (<see cref="PyTorchWeights.SavePyTorch"/>), and a <c>manifest.json</c> listing the points with their (λ, γ),
    /// R, D, C, accuracy and files, which <c>freeenergy_torch.load_surface</c> reads. Diverged points have no model
    /// and are not exported. One model is in memory at a time.
    /// </summary>
    /// <param name="surface">The surface; every finished point must have kept its checkpoint (a sweep with a records file does).</param>
    /// <param name="folder">The export folder; files of the same names are replaced.</param>
    /// <param name="format">The weights' format.</param>
    /// <returns>The exported points, by plan index.</returns>
    /// <exception cref="InvalidOperationException">The surface has no finished point, or some points kept no checkpoint (the message lists them); nothing is written.</exception>
    public static IReadOnlyList<PyTorchExportedPoint> ExportPyTorch(this EquilibriumSurface surface, string folder, PyTorchFormat format)
    {
        ArgumentNullException.ThrowIfNull(surface);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (surface.Records.Count == 0)
        {
            throw new InvalidOperationException("The surface has no finished point to export.");
        }

        var withoutModel = surface.Records.Where(r => r.Checkpoint is null || surface.Directory is null).Select(r => r.Index).ToList();
        if (withoutModel.Count > 0)
        {
            throw new InvalidOperationException($"Points {string.Join(", ", withoutModel)} kept no checkpoint, so there is no model to export; run the sweep with a records file (it keeps one per point) and export the surface loaded from it.");
        }

        System.IO.Directory.CreateDirectory(folder);
        string extension = format == PyTorchFormat.StateDict ? ".pt" : ".safetensors";
        var exported = new List<PyTorchExportedPoint>();
        foreach (var record in surface.Records)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"point-{record.Index:000}");
            string weights = Path.Combine(folder, name + extension);
            using (var model = surface.LoadModel(record))
            {
                model.SavePyTorch(weights, format);
            }

            exported.Add(new PyTorchExportedPoint(
                record.Index, record.Lambda, record.Gamma, record.Rate, record.Distortion, record.Classification, record.Accuracy,
                name + extension, Path.GetFileName(PyTorchWeights.ConfigurationPath(weights))));
        }

        var manifest = new { Format = ManifestFormat, Version = 1, Plan = surface.Records[0].Plan, Points = exported };
        string path = Path.Combine(folder, ManifestName);
        string temporary = path + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(manifest, JsonOptions));
        File.Move(temporary, path, overwrite: true);
        return exported;
    }
}
