using System.Collections;
using System.Collections.Specialized;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Interop;

/// <summary>
/// Saves and loads the weights of a <see cref="RateDistortionModel"/> in PyTorch's formats (a <c>torch.save</c>
/// state_dict or safetensors), under the parameter names of the equivalent PyTorch module that
/// <c>python/freeenergy_torch</c> defines (for example <c>encoder.features.1.weight</c>, <c>encoder.mean.bias</c>,
/// <c>decoder.0.weight</c>, <c>prior.means</c>, <c>classifier.weight</c>; batch norms add <c>running_mean</c>,
/// <c>running_var</c> and <c>num_batches_tracked</c>). The files are read and written by TorchSharp.PyBridge.
/// </summary>
/// <remarks>
/// These are extension methods: add <c>using FreeEnergy.Core.Interop;</c>. A save also writes the model's
/// configuration beside the weights (<see cref="ConfigurationPath"/>), which the Python module reads to build the
/// matching module. The library's own checkpoint (<see cref="RateDistortionModel.Save"/>) stays the format of
/// sweeps and processes; these files are for exchange with PyTorch.
/// </remarks>
public static class PyTorchWeights
{
    /// <summary>The <c>format</c> field of the configuration file written beside the weights.</summary>
    public const string ConfigurationFormat = "FreeEnergy.Core.PyTorchConfiguration";

    /// <summary>The version of the configuration file's layout.</summary>
    public const int ConfigurationVersion = 1;

    /// <summary>Problems listed by name in one error before the rest are counted.</summary>
    private const int ListedProblems = 12;

    /// <summary>The first byte of a safetensors file's JSON index, after its 8-byte length.</summary>
    private const byte JsonObjectStart = (byte)'{';

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>
    /// The configuration file written beside <paramref name="weightsPath"/>: the same folder and name with the
    /// extension replaced by <c>.config.json</c> (<c>model.pt</c> → <c>model.config.json</c>).
    /// </summary>
    public static string ConfigurationPath(string weightsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(weightsPath);
        return Path.ChangeExtension(weightsPath, ".config.json");
    }

    /// <summary>
    /// Writes the model's weights to <paramref name="path"/> in <paramref name="format"/> and its configuration to
    /// <see cref="ConfigurationPath"/>. Each file is written beside its place and moved there, so it is always
    /// either the old file or the whole new one. Every parameter and buffer is written as float32 (int64 for the
    /// batch norms' counters), on the CPU, under its PyTorch name.
    /// </summary>
    /// <param name="model">The model (any device).</param>
    /// <param name="path">The weights file, conventionally <c>.pt</c> or <c>.safetensors</c>.</param>
    /// <param name="format">The file format.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist (create it first).</exception>
    /// <exception cref="InvalidOperationException">A weight or buffer is NaN or infinite (the message names the tensor); nothing is written.</exception>
    public static void SavePyTorch(this RateDistortionModel model, string path, PyTorchFormat format)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Enum.IsDefined(format))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, $"Use {nameof(PyTorchFormat.StateDict)} or {nameof(PyTorchFormat.Safetensors)}.");
        }

        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        if (!System.IO.Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Cannot save the weights to '{path}': the folder '{folder}' does not exist. Create it first.");
        }

        if (Checkpoints.FirstNonFinite(model.Network) is string nonFinite)
        {
            throw new InvalidOperationException($"Cannot save the weights to '{path}': the tensor '{nonFinite}' holds non-finite values (NaN or ∞). The model diverged or was changed by hand.");
        }

        WriteWeights(model, full, format);
        var file = new PyTorchConfigurationFile(
            ConfigurationFormat,
            ConfigurationVersion,
            typeof(RateDistortionModel).Assembly.GetName().Version?.ToString() ?? "0",
            model.Configuration);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(file, JsonOptions);
        AtomicFile.Write(Path.GetFullPath(ConfigurationPath(full)), stream => stream.Write(json));
    }

    /// <summary>Writes the model's state (detached copies on the CPU, under their PyTorch names) to <paramref name="full"/> in <paramref name="format"/>.</summary>
    private static void WriteWeights(RateDistortionModel model, string full, PyTorchFormat format)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, value) in model.Network.state_dict())
        {
            state.Add(name, value.detach().cpu().contiguous());
        }

        AtomicFile.Write(full, stream =>
        {
            if (format == PyTorchFormat.StateDict)
            {
                var ordered = new OrderedDictionary();
                foreach (var (name, tensor) in state)
                {
                    ordered.Add(name, tensor);
                }

                PyTorchPickler.PickleStateDict(stream, ordered, leaveOpen: true);
            }
            else
            {
                Safetensors.SaveStateDict(stream, state, leaveOpen: true);
            }
        });
    }

    /// <summary>
    /// Replaces the model's weights with those in <paramref name="path"/>, a <c>torch.save</c> state_dict or a
    /// safetensors file (told apart by their first bytes), all or nothing: every tensor of the model must be in the
    /// file under its PyTorch name with the same shape and dtype, the file must hold no other tensor and no
    /// non-finite value. Otherwise one <see cref="InvalidDataException"/> lists every problem by tensor name, and
    /// the weights are unchanged.
    /// </summary>
    /// <param name="model">The model whose weights are replaced; built with the structure of the file's module.</param>
    /// <param name="path">The weights file.</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is neither format, is truncated or damaged, or does not fit the model (the message names the tensors). The weights are unchanged.</exception>
    public static void LoadPyTorchWeights(this RateDistortionModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (System.IO.Directory.Exists(path))
        {
            throw new InvalidDataException($"'{path}' is a folder; give the path of a weights file (.pt or .safetensors).");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"There is no weights file at '{path}'.", path);
        }

        using var scope = NewDisposeScope();
        var loaded = Read(path);
        var current = model.Network.state_dict();
        var problems = Problems(current, loaded);
        if (problems.Count > 0)
        {
            string listed = string.Join("; ", problems.Take(ListedProblems));
            string more = problems.Count > ListedProblems ? string.Create(CultureInfo.InvariantCulture, $"; and {problems.Count - ListedProblems} more") : string.Empty;
            throw new InvalidDataException(
                $"The weights in '{path}' do not fit this model ({Describe(model.Configuration)}): {listed}{more}. The model's weights are unchanged. "
                + "Save the weights of a module built from the same configuration (python/freeenergy_torch builds it from the .config.json file).");
        }

        using var previous = WeightSnapshot.Capture(model.Network);
        try
        {
            using var noGrad = no_grad();
            foreach (var (name, target) in current)
            {
                target.copy_(loaded[name]);
            }
        }
        catch
        {
            previous.Restore();
            throw;
        }
    }

    /// <summary>Reads a state dictionary from either format, in the caller's dispose scope.</summary>
    private static Dictionary<string, Tensor> Read(string path)
    {
        var format = Detect(path);
        using var stream = File.OpenRead(path);
        if (format == PyTorchFormat.Safetensors)
        {
            CheckSafetensorsLength(stream, path);
        }

        try
        {
            if (format == PyTorchFormat.Safetensors)
            {
                return Safetensors.LoadStateDict(stream, leaveOpen: true);
            }

            var table = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
            var result = new Dictionary<string, Tensor>();
            foreach (DictionaryEntry entry in table)
            {
                if (entry.Key is string name && entry.Value is Tensor tensor)
                {
                    result[name] = tensor;
                }
            }

            return result;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // PyBridge's errors (a zip without its central directory, a pickle that ends early) say what, not where.
            throw new InvalidDataException($"'{path}' is not a readable {(format == PyTorchFormat.StateDict ? "torch.save state_dict" : "safetensors file")}: it is truncated or damaged ({ex.Message}). The model's weights are unchanged.", ex);
        }
    }

    /// <summary>A zip archive (the torch.save format since PyTorch 1.6) starts with "PK\x03\x04"; a safetensors file with a length and '{'.</summary>
    private static PyTorchFormat Detect(string path)
    {
        Span<byte> head = stackalloc byte[9];
        int read;
        using (var stream = File.OpenRead(path))
        {
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        if (read >= 4 && head[0] == 0x50 && head[1] == 0x4B && head[2] == 0x03 && head[3] == 0x04)
        {
            return PyTorchFormat.StateDict;
        }

        if (read == 9 && head[8] == JsonObjectStart)
        {
            return PyTorchFormat.Safetensors;
        }

        throw new InvalidDataException($"'{path}' is neither a torch.save state_dict (a zip archive, PyTorch ≥ 1.6) nor a safetensors file ({read} bytes read from its start). Save it with torch.save(module.state_dict(), path) or safetensors; the model's weights are unchanged.");
    }

    /// <summary>
    /// Refuses a safetensors file shorter than its index says (a truncated download or copy), which the reader would
    /// otherwise fill with whatever bytes it got.
    /// </summary>
    private static void CheckSafetensorsLength(FileStream stream, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BitConverter.ToUInt64(lengthBytes);
        if (headerLength > (ulong)(stream.Length - 8))
        {
            throw new InvalidDataException($"'{path}' is truncated: its safetensors header announces {headerLength} bytes of index, the file holds {stream.Length - 8} after the length. The model's weights are unchanged.");
        }

        byte[] header = new byte[(int)headerLength];
        stream.ReadExactly(header);
        long end = 0;
        try
        {
            using var document = JsonDocument.Parse(header);
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name != "__metadata__")
                {
                    end = Math.Max(end, entry.Value.GetProperty("data_offsets")[1].GetInt64());
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException or FormatException)
        {
            throw new InvalidDataException($"'{path}' has a damaged safetensors index ({ex.Message}). The model's weights are unchanged.", ex);
        }

        long available = stream.Length - 8 - (long)headerLength;
        if (end > available)
        {
            throw new InvalidDataException($"'{path}' is truncated: its index places tensors up to byte {end} of the data, the file holds {available}. The model's weights are unchanged.");
        }

        stream.Position = 0;
    }

    /// <summary>Every way <paramref name="loaded"/> fails to fit <paramref name="current"/>, one sentence each, by tensor name.</summary>
    private static List<string> Problems(Dictionary<string, Tensor> current, Dictionary<string, Tensor> loaded)
    {
        var problems = new List<string>();
        foreach (var (name, target) in current)
        {
            if (!loaded.TryGetValue(name, out var value))
            {
                problems.Add($"missing tensor '{name}' (shape {Shape(target.shape)})");
            }
            else if (!value.shape.SequenceEqual(target.shape))
            {
                problems.Add($"tensor '{name}' has shape {Shape(value.shape)} in the file, {Shape(target.shape)} in the model");
            }
            else if (value.dtype != target.dtype)
            {
                problems.Add($"tensor '{name}' is {value.dtype} in the file, {target.dtype} in the model");
            }
            else if (value.is_floating_point() && value.numel() > 0 && !value.isfinite().all().item<bool>())
            {
                problems.Add($"tensor '{name}' holds non-finite values (NaN or ∞)");
            }
        }

        foreach (string name in loaded.Keys.Where(k => !current.ContainsKey(k)).Order(StringComparer.Ordinal))
        {
            problems.Add($"unexpected tensor '{name}' (shape {Shape(loaded[name].shape)})");
        }

        return problems;
    }

    private static string Describe(ModelConfiguration c) => c.Architecture == EncoderArchitecture.Mlp
        ? string.Create(CultureInfo.InvariantCulture, $"mlp, input {ModelConfiguration.Format(c.InputShape)}, hidden {ModelConfiguration.Format(c.HiddenSizes)}, latent {c.LatentSize}, {c.Classes} classes, prior {c.Prior}")
        : string.Create(CultureInfo.InvariantCulture, $"conv, input {ModelConfiguration.Format(c.InputShape)}, latent {c.LatentSize}, {c.Classes} classes, prior {c.Prior}");

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>The configuration file beside the weights.</summary>
    private sealed record PyTorchConfigurationFile(string Format, int Version, string LibraryVersion, ModelConfiguration Configuration);
}
