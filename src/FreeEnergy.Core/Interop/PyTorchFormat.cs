namespace FreeEnergy.Core.Interop;

/// <summary>The file formats of PyTorch weights that <see cref="PyTorchWeights"/> writes and reads.</summary>
public enum PyTorchFormat
{
    /// <summary>
    /// A <c>state_dict</c> as <c>torch.save(module.state_dict(), path)</c> writes it (the zip format of PyTorch ≥ 1.6):
    /// <c>torch.load(path)</c> reads it. Conventional extension <c>.pt</c>.
    /// </summary>
    StateDict = 0,

    /// <summary>
    /// A safetensors file (an 8-byte header length, a JSON index, then the raw little-endian tensors): read by
    /// <c>safetensors.torch.load_file</c> and by <c>python/freeenergy_torch</c>. Conventional extension <c>.safetensors</c>.
    /// </summary>
    Safetensors = 1,
}
