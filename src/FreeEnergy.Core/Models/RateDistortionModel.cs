using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FreeEnergy.Core.Data;
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Models;

/// <summary>
/// A stochastic encoder e(z|x), decoder d(x|z), prior m(z) and linear classifier c(y|z) whose rate R,
/// distortion D and classification loss C are measured in nats per example. Train it to equilibrium of
/// R + λ·D + γ·C with <see cref="Training.EquilibriumTrainer"/>.
/// </summary>
/// <remarks>
/// Create one with <see cref="CreateBuilder"/>. The model owns native memory: dispose it. Use one model
/// from one thread at a time.
/// </remarks>
public sealed class RateDistortionModel : IDisposable
{
    private const string FileMagic = "FEMODEL1";
    /// <summary>1: header and weights; 2 (since issue 17): the header also holds the weights' length and SHA-256. Both are read.</summary>
    private const int FormatVersion = 2;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly RateDistortionNetwork network;
    private readonly Generator trainingNoise;
    private readonly double gaussianConstant;
    private readonly long[] inputShape;
    private readonly bool onCpu;
    private bool disposed;

    internal RateDistortionModel(ModelConfiguration configuration, ILogger? logger)
    {
        Configuration = configuration;
        Logger = logger ?? NullLogger.Instance;
        Device = new Device(configuration.Device);
        using (var init = new Generator(new SeedStream(configuration.Seed).Weights))
        {
            network = new RateDistortionNetwork(configuration);
            network.Initialize(init);
        }

        network.to(Device);
        inputShape = [.. configuration.InputShape.Select(s => (long)s)];
        onCpu = Device.type == DeviceType.CPU;
        trainingNoise = new Generator(new SeedStream(configuration.Seed).TrainingNoise);
        double variance = configuration.GaussianSigma * configuration.GaussianSigma;
        gaussianConstant = 0.5 * configuration.InputElements * Math.Log(2 * Math.PI * variance);
        ParameterCount = network.parameters().Sum(p => p.numel());
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            Log.ModelBuilt(Logger, configuration.Architecture, ParameterCount, configuration.LatentSize, configuration.Samples, configuration.Device);
        }
    }

    /// <summary>Starts a fluent builder for a model.</summary>
    public static RateDistortionModelBuilder CreateBuilder() => new();

    /// <summary>The configuration the model was built with.</summary>
    public ModelConfiguration Configuration { get; }

    /// <summary>The device the model's weights live on.</summary>
    public Device Device { get; }

    /// <summary>K, the number of samples of z per input.</summary>
    public int Samples => Configuration.Samples;

    /// <summary>The number of trainable scalars.</summary>
    public long ParameterCount { get; }

    internal ILogger Logger { get; }

    internal RateDistortionNetwork Network
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return network;
        }
    }

    internal Generator TrainingNoise => trainingNoise;

    /// <summary>The seeds derived from this model's seed (<see cref="SeedStream"/>: every rule in one place).</summary>
    internal SeedStream Seeds => new(Configuration.Seed);

    /// <summary>Restarts the training z-noise from <paramref name="seed"/>, so that what follows depends only on the weights and this seed.</summary>
    internal void ReseedTrainingNoise(ulong seed) => trainingNoise.manual_seed(unchecked((long)seed));

    /// <summary>
    /// One forward pass: encodes <paramref name="inputs"/>, draws K samples of z per input with
    /// <paramref name="noise"/> (the model's own training generator when null), and returns the rate,
    /// distortion, classification loss and correctness terms with their autograd graph.
    /// </summary>
    /// <param name="inputs">Shape [B, ...InputShape], floating point, B ≥ 1; moved to the model's device if needed.</param>
    /// <param name="labels">Shape [B], int64, each in [0, Classes).</param>
    /// <param name="noise">A CPU generator for the z-noise (drawn on the CPU and moved to the device once), or null.</param>
    /// <returns>The terms; the caller owns them (see <see cref="BatchTerms"/>).</returns>
    /// <exception cref="ArgumentException">A shape, a dtype or a label outside [0, Classes) (the message gives the label).</exception>
    public BatchTerms Forward(Tensor inputs, Tensor labels, Generator? noise = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        ValidateBatch(inputs, labels);
        ValidateLabelRange(labels);
        return ForwardTrusted(inputs, labels, noise);
    }

    /// <summary>
    /// <see cref="Forward"/> without the label-range check (which reads the labels back from the device): for the
    /// library's own loops over datasets whose labels were checked once (<see cref="ValidateData"/>).
    /// </summary>
    /// <param name="inputs">As for <see cref="Forward"/>.</param>
    /// <param name="labels">As for <see cref="Forward"/>.</param>
    /// <param name="noise">As for <see cref="Forward"/>; ignored when <paramref name="epsilon"/> is given.</param>
    /// <param name="epsilon">The standard normal draws ε themselves, [K, B, k] float on the model's device (z = μ + σ·ε), or null to draw them from <paramref name="noise"/>.</param>
    internal BatchTerms ForwardTrusted(Tensor inputs, Tensor labels, Generator? noise = null, Tensor? epsilon = null)
    {
        ValidateBatch(inputs, labels);
        using var scope = NewDisposeScope();
        var x = IsOnDevice(inputs) ? inputs : inputs.to(Device);
        var y = IsOnDevice(labels) ? labels : labels.to(Device);
        long batch = x.shape[0];
        int samples = Samples;
        var (mean, logVariance) = Network.Encoder.call(x);
        // TorchSharp generators are CPU-only (dotnet/TorchSharp#1194): draw on the CPU, move once (not at all on the CPU).
        if (epsilon is null)
        {
            epsilon = randn([samples, batch, Configuration.LatentSize], dtype: mean.dtype, generator: noise ?? trainingNoise);
            if (!onCpu)
            {
                epsilon = epsilon.to(Device);
            }
        }

        var z = mean.unsqueeze(0).Plus(logVariance.Times(0.5).exp().unsqueeze(0) * epsilon);
        var flatZ = z.reshape(samples * batch, Configuration.LatentSize);

        var reconstruction = Network.Decoder.call(flatZ).reshape(samples, batch, -1);
        var target = x.reshape(1, batch, -1).expand(samples, batch, -1);
        Tensor distortion = Configuration.Likelihood == DecoderLikelihood.Bernoulli
            ? nn.functional.binary_cross_entropy_with_logits(reconstruction, target, reduction: nn.Reduction.None).sum(-1)
            : (reconstruction - target).Squared().sum(-1).TimesInPlace(0.5 / (Configuration.GaussianSigma * Configuration.GaussianSigma)).PlusInPlace(gaussianConstant);

        var logits = Network.Classifier.call(flatZ);
        var repeatedLabels = y.repeat(samples);
        var classification = nn.functional.cross_entropy(logits, repeatedLabels, reduction: nn.Reduction.None).reshape(samples, batch);
        var rate = Network.Prior.Rate(mean, logVariance, z);
        return new BatchTerms(
            rate.MoveToOuterDisposeScope(),
            distortion.MoveToOuterDisposeScope(),
            classification.MoveToOuterDisposeScope(),
            logits.MoveToOuterDisposeScope(),
            repeatedLabels.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Evaluates R, D, C and accuracy on <paramref name="data"/> in evaluation mode without gradients. The
    /// z-noise comes from a fresh generator seeded with <paramref name="noiseSeed"/> (by default a value
    /// derived from the model's seed), so repeated evaluations use common random numbers.
    /// </summary>
    /// <param name="data">The dataset; its input shape must match and its labels must be below <see cref="ModelConfiguration.Classes"/>.</param>
    /// <param name="batchSize">Examples per forward pass, at least 1.</param>
    /// <param name="noiseSeed">The seed of the evaluation z-noise, or null for the model's default.</param>
    public Functionals Evaluate(LabeledTensorDataset data, int batchSize = 1000, long? noiseSeed = null)
    {
        var (totals, _) = Accumulate(data, batchSize, noiseSeed, moments: false);
        double n = data.Count;
        return new Functionals(totals[0] / n, totals[1] / n, totals[2] / n, totals[3] / n, data.Count);
    }

    /// <summary>
    /// Evaluates like <see cref="Evaluate(LabeledTensorDataset, int, long?)"/> (the same z-noise, so the
    /// same means to the last bit) and also returns the covariance over the examples of the per-example
    /// terms r, d̄, c̄, from which standard errors of R, D, C and J follow. One pass over the data.
    /// </summary>
    /// <param name="data">The dataset, at least 2 examples.</param>
    /// <param name="batchSize">Examples per forward pass, at least 1.</param>
    /// <param name="noiseSeed">The seed of the evaluation z-noise, or null for the model's default.</param>
    /// <exception cref="ArgumentException">The dataset has fewer than 2 examples or does not fit the model.</exception>
    public FunctionalStatistics EvaluateStatistics(LabeledTensorDataset data, int batchSize = 1000, long? noiseSeed = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count < 2)
        {
            throw new ArgumentException($"A covariance over the examples needs at least 2 examples; the dataset has {data.Count}.", nameof(data));
        }

        var (totals, products) = Accumulate(data, batchSize, noiseSeed, moments: true);
        double n = data.Count;
        double[] mean = [totals[0] / n, totals[1] / n, totals[2] / n];

        // products[3i + j] = Σ v_i v_j in float64; the covariance with divisor n − 1.
        double Covariance(int i, int j) => (products![(3 * i) + j] - (n * mean[i] * mean[j])) / (n - 1);
        return new FunctionalStatistics(
            mean[0], mean[1], mean[2], totals[3] / n, data.Count,
            Covariance(0, 0), Covariance(1, 1), Covariance(2, 2), Covariance(0, 1), Covariance(0, 2), Covariance(1, 2));
    }

    /// <summary>
    /// The per-example terms (r, d̄, c̄) of <see cref="EvaluateStatistics"/>'s pass (same z-noise), in example
    /// order: three arrays of length n, for paired standard errors under common random numbers.
    /// </summary>
    internal (double[] Rate, double[] Distortion, double[] Classification) EvaluateTerms(LabeledTensorDataset data, int batchSize = 1000, long? noiseSeed = null)
    {
        var batches = new List<double[]>();
        Accumulate(data, batchSize, noiseSeed, moments: true, batches);
        var terms = new double[3][];
        for (int k = 0; k < 3; k++)
        {
            terms[k] = [.. batches.SelectMany(b => b.Skip(k * (b.Length / 3)).Take(b.Length / 3))];
        }

        return (terms[0], terms[1], terms[2]);
    }

    /// <summary>
    /// One evaluation pass: the sums [ΣR, ΣD, ΣC, Σaccuracy] and, with <paramref name="moments"/>, the 3 × 3
    /// sums of products of the per-example (r, d̄, c̄) computed in float64 (row-major).
    /// </summary>
    private (double[] Totals, double[]? Products) Accumulate(LabeledTensorDataset data, int batchSize, long? noiseSeed, bool moments, List<double[]>? perExample = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ValidateData(data, nameof(data));
        ulong seed = noiseSeed is long s ? unchecked((ulong)s) : Seeds.EvaluationNoise;
        using var noise = new Generator(seed);
        using (ModelStateScope.CaptureMode(this))
        {
            Network.eval();
            using var noGrad = no_grad();

            // Batch sums are added up on the device in float64 (the same additions as on the host) and read once.
            using var accumulated = zeros(4, dtype: ScalarType.Float64, device: Device);
            using var products = moments ? zeros(3, 3, dtype: ScalarType.Float64, device: Device) : null;
            foreach (var batch in data.Batches(batchSize))
            {
                using var scope = NewDisposeScope();
                using var terms = ForwardTrusted(batch.Inputs, batch.Labels, noise);
                accumulated.PlusInPlace(terms.Sums().to(ScalarType.Float64));
                if (products is not null)
                {
                    var v = stack([terms.Rate, terms.Distortion.mean([0]), terms.Classification.mean([0])]).to(ScalarType.Float64);
                    products.PlusInPlace(v.matmul(v.t()));
                    if (perExample is not null)
                    {
                        using var hostTerms = v.cpu();
                        perExample.Add(hostTerms.data<double>().ToArray()); // [3, B] row-major: r, d̄, c̄
                    }
                }
            }

            using var host = accumulated.cpu();
            using var hostProducts = products?.cpu();
            using var flatProducts = hostProducts?.reshape(9);
            return (host.data<double>().ToArray(), flatProducts?.data<double>().ToArray());
        }
    }

    /// <summary>
    /// Evaluates the mixture's functionals: each of R, D, C and accuracy is (1 − r)·(value on the source
    /// task) + r·(value on the target task), measured as in <see cref="Evaluate(LabeledTensorDataset, int, long?)"/>.
    /// </summary>
    public Functionals Evaluate(TaskMixture mixture, int batchSize = 1000, long? noiseSeed = null)
    {
        ArgumentNullException.ThrowIfNull(mixture);
        var source = Evaluate(mixture.Source, batchSize, noiseSeed);
        var target = Evaluate(mixture.Target, batchSize, noiseSeed);
        return Functionals.Mixture(source, target, mixture.Ratio);
    }

    /// <summary>
    /// Evaluates R, D, C and accuracy on <paramref name="data"/> like <see cref="Evaluate(LabeledTensorDataset, int, long?)"/>
    /// but with the standard normal draws ε given: example i's K samples are z = μ(xᵢ) + σ(xᵢ)·ε[:, i, :]. With the same
    /// ε, another implementation of the model (the PyTorch module of <c>python/freeenergy_torch</c>) gives the same
    /// numbers to float rounding.
    /// </summary>
    /// <param name="data">The dataset; its input shape must match and its labels must be below <see cref="ModelConfiguration.Classes"/>.</param>
    /// <param name="noise">ε, shape [K, n, k] for n = <paramref name="data"/>'s count, float32 (any device; copied to the model's device once).</param>
    /// <param name="batchSize">Examples per forward pass, at least 1 (the means do not depend on it beyond float rounding).</param>
    /// <exception cref="ArgumentException"><paramref name="noise"/> has another shape or dtype (the message gives both shapes).</exception>
    public Functionals EvaluateWithNoise(LabeledTensorDataset data, Tensor noise, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ValidateData(data, nameof(data));
        long[] expected = [Samples, data.Count, Configuration.LatentSize];
        if (!noise.shape.SequenceEqual(expected) || noise.dtype != ScalarType.Float32)
        {
            throw new ArgumentException($"The noise must be float32 of shape {LabeledTensorDataset.Shape(expected)} (K samples, {data.Count} examples, latent size {Configuration.LatentSize}); got {noise.dtype} {LabeledTensorDataset.Shape(noise.shape)}.", nameof(noise));
        }

        using (ModelStateScope.CaptureMode(this))
        {
            Network.eval();
            using var noGrad = no_grad();
            using var onDevice = noise.to(Device);
            using var accumulated = zeros(4, dtype: ScalarType.Float64, device: Device);
            long start = 0;
            foreach (var batch in data.Batches(batchSize))
            {
                using var scope = NewDisposeScope();
                long size = batch.Inputs.shape[0];
                using var terms = ForwardTrusted(batch.Inputs, batch.Labels, epsilon: onDevice.narrow(1, start, size));
                accumulated.PlusInPlace(terms.Sums().to(ScalarType.Float64));
                start += size;
            }

            using var host = accumulated.cpu();
            double[] totals = host.data<double>().ToArray();
            double n = data.Count;
            return new Functionals(totals[0] / n, totals[1] / n, totals[2] / n, totals[3] / n, data.Count);
        }
    }

    /// <summary>
    /// Saves the weights with a versioned JSON header holding the configuration and the length and SHA-256 of
    /// the weights to <paramref name="path"/>: written to <c>&lt;path&gt;.tmp-&lt;process id&gt;</c> beside it,
    /// flushed to disk, then moved into place, so the file is always either the old checkpoint or the whole new
    /// one. Temporary files of the same checkpoint left by processes that no longer run (killed mid-write) are
    /// deleted first.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist (create it first).</exception>
    /// <exception cref="InvalidOperationException">A weight or buffer is NaN or infinite (the message names the tensor); nothing is written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        CheckSaveTarget(path, full);
        byte[] payload = SavedWeights();
        var header = new CheckpointHeader(
            CheckpointHeader.FormatName,
            FormatVersion,
            typeof(RateDistortionModel).Assembly.GetName().Version?.ToString() ?? "0",
            Configuration,
            payload.LongLength,
            Checkpoints.Sha256(payload));
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header, JsonOptions);
        AtomicFile.Write(full, stream =>
        {
            // The layout ReadCheckpoint reads: magic, the header's length (int32, little-endian), the header, the weights.
            stream.Write(Encoding.ASCII.GetBytes(FileMagic));
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, json.Length);
            stream.Write(length);
            stream.Write(json);
            stream.Write(payload);
        });
    }

    /// <summary>Throws unless <paramref name="full"/> can take a checkpoint: its folder exists, it is no folder, and every weight is finite.</summary>
    private void CheckSaveTarget(string path, string full)
    {
        string folder = Path.GetDirectoryName(full)!;
        if (!System.IO.Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Cannot save the model to '{path}': the folder '{folder}' does not exist. Create it first.");
        }

        if (System.IO.Directory.Exists(full))
        {
            throw new IOException($"Cannot save the model to '{path}': it is a folder. Give a file name such as '{Path.Combine(path, "model.fe")}'.");
        }

        if (Checkpoints.FirstNonFinite(Network) is string nonFinite)
        {
            throw new InvalidOperationException($"Cannot save the model to '{path}': the tensor '{nonFinite}' holds non-finite values (NaN or ∞); a checkpoint never holds them. The model diverged or was changed by hand.");
        }
    }

    /// <summary>The weights in TorchSharp's format: the checkpoint's payload.</summary>
    private byte[] SavedWeights()
    {
        using var buffer = new MemoryStream();
        using (var payloadWriter = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            Network.save(payloadWriter);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Loads a model saved with <see cref="Save"/>: rebuilds it from the saved configuration and loads its
    /// weights. The caller owns the result.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="device">The device to load onto ("cpu", "cuda:0"), or null for the saved device.</param>
    /// <param name="logger">An optional logger.</param>
    /// <exception cref="InvalidDataException">The file is not a FreeEnergy checkpoint, is damaged (its checksum does not match), or holds non-finite weights (the message names the tensor).</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static RateDistortionModel Load(string path, string? device = null, ILogger? logger = null)
    {
        FreeEnergyRuntime.EnsureBackend();
        var (header, payload) = ReadCheckpoint(path);
        var configuration = device is null ? header.Configuration : header.Configuration with { Device = device };
        var problems = RateDistortionModelBuilder.Validate(configuration);
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"'{path}' holds an invalid configuration: {string.Join("; ", problems)}");
        }

        RateDistortionModelBuilder.EnsureDeviceAvailable(configuration.Device);

        var model = new RateDistortionModel(configuration, logger);
        try
        {
            model.LoadState(payload, path);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Replaces this model's weights with those saved in <paramref name="path"/>, all or nothing: when the file
    /// is damaged, truncated, of another structure or holds non-finite values, the weights are unchanged. The
    /// saved configuration must have the same structure (seed, device, K and σ may differ).
    /// </summary>
    /// <exception cref="InvalidOperationException">The saved model has another structure; the message lists every difference. The weights are unchanged.</exception>
    /// <exception cref="InvalidDataException">The file is not a FreeEnergy checkpoint, is damaged or holds non-finite weights. The weights are unchanged.</exception>
    public void LoadWeights(string path)
    {
        var (header, payload) = ReadCheckpoint(path);
        var differences = Configuration.StructuralDifferences(header.Configuration);
        if (differences.Count > 0)
        {
            throw new InvalidOperationException($"The model in '{path}' does not fit this model: {string.Join("; ", differences)}.");
        }

        using var previous = WeightSnapshot.Capture(Network);
        try
        {
            LoadState(payload, path);
        }
        catch
        {
            previous.Restore();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        network.Dispose();
        trainingNoise.Dispose();
    }

    /// <summary>Checks that a dataset fits this model: input shape and label range.</summary>
    internal void ValidateData(LabeledTensorDataset data, string parameterName)
    {
        if (!data.InputShape.SequenceEqual(Configuration.InputShape))
        {
            throw new ArgumentException($"The dataset's inputs have shape {ModelConfiguration.Format(data.InputShape)} per example but the model expects {ModelConfiguration.Format(Configuration.InputShape)}.", parameterName);
        }

        if (data.ClassCount > Configuration.Classes)
        {
            throw new ArgumentException($"The dataset has labels up to {data.ClassCount - 1} but the model has {Configuration.Classes} classes (labels 0 to {Configuration.Classes - 1}).", parameterName);
        }
    }

    private bool IsOnDevice(Tensor tensor) => tensor.device_type == Device.type && (tensor.device_index == Device.index || Device.index < 0 && tensor.device_index <= 0);

    private void ValidateBatch(Tensor inputs, Tensor labels)
    {
        long[] expected = inputShape;
        long[] shape = inputs.shape;
        if (shape.Length != expected.Length + 1 || !shape.AsSpan(1).SequenceEqual(expected) || shape[0] < 1)
        {
            throw new ArgumentException($"Inputs must have shape [B, {string.Join(", ", expected)}] with B ≥ 1; got {LabeledTensorDataset.Shape(shape)}.", nameof(inputs));
        }

        if (!inputs.is_floating_point())
        {
            throw new ArgumentException($"Inputs must be floating point; got {inputs.dtype}.", nameof(inputs));
        }

        long[] labelShape = labels.shape;
        if (labelShape.Length != 1 || labelShape[0] != shape[0])
        {
            throw new ArgumentException($"Labels must have shape [{shape[0]}]; got {LabeledTensorDataset.Shape(labelShape)}.", nameof(labels));
        }

        if (labels.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"Labels must be int64; got {labels.dtype}.", nameof(labels));
        }
    }

    /// <summary>Refuses labels outside [0, Classes) before libtorch does (with a C++ stack trace).</summary>
    private void ValidateLabelRange(Tensor labels)
    {
        if (labels.device_type == DeviceType.META)
        {
            return; // meta tensors have shapes but no values to check
        }

        using var scope = NewDisposeScope();
        long smallest = labels.min().item<long>();
        long largest = labels.max().item<long>();
        if (smallest < 0 || largest >= Configuration.Classes)
        {
            long bad = smallest < 0 ? smallest : largest;
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Labels must be in [0, {Configuration.Classes}) for a model of {Configuration.Classes} classes; got {bad}."), nameof(labels));
        }
    }

    /// <summary>Loads the weights from <paramref name="payload"/> and refuses non-finite values, naming the tensor. On failure the weights may be partly loaded: callers restore or dispose.</summary>
    private void LoadState(byte[] payload, string path)
    {
        try
        {
            using var stream = new MemoryStream(payload, writable: false);
            using var reader = new BinaryReader(stream);
            Network.load(reader, strict: true);
            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException($"{stream.Length - stream.Position} bytes follow the weights.");
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException($"The weights in '{path}' could not be read: {ex.Message}", ex);
        }

        if (Checkpoints.FirstNonFinite(Network) is string name)
        {
            throw new InvalidDataException($"'{path}' holds non-finite weights (NaN or ∞) in the tensor '{name}'; it was saved from a diverged model or is damaged. Use an earlier checkpoint.");
        }
    }

    /// <summary>The configuration in the header of the checkpoint at <paramref name="path"/> (the weights are not read).</summary>
    /// <exception cref="InvalidDataException">The file is not a readable checkpoint.</exception>
    internal static ModelConfiguration ReadSavedConfiguration(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        return ReadHeader(reader, path).Configuration;
    }

    /// <summary>Reads the header and the weights' bytes, checking the payload's length and checksum (format version 2; version 1 has none).</summary>
    private static (CheckpointHeader Header, byte[] Payload) ReadCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (System.IO.Directory.Exists(path))
        {
            throw new InvalidDataException($"'{path}' is a folder, not a FreeEnergy model checkpoint; give the path of a checkpoint file (for example '{Path.Combine(path, "model.fe")}').");
        }

        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var header = ReadHeader(reader, path);
        long remaining = stream.Length - stream.Position;
        if (header.FormatVersion >= 2)
        {
            if (header.PayloadLength is not long expected || header.PayloadSha256 is not string checksum)
            {
                throw new InvalidDataException($"'{path}' has checkpoint format version {header.FormatVersion} but its header lacks the payload length or checksum; the file is damaged.");
            }

            if (remaining != expected)
            {
                throw new InvalidDataException($"'{path}' is damaged: the header announces {expected} bytes of weights, the file holds {remaining} (truncated or appended to).");
            }

            byte[] checkedPayload = reader.ReadBytes((int)remaining);
            string actual = Checkpoints.Sha256(checkedPayload);
            if (!string.Equals(actual, checksum, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"'{path}' is damaged: the SHA-256 of its weights is {actual}, the header says {checksum}. Use another copy of the checkpoint.");
            }

            return (header, checkedPayload);
        }

        return (header, reader.ReadBytes((int)Math.Min(remaining, int.MaxValue)));
    }

    private static CheckpointHeader ReadHeader(BinaryReader reader, string path)
    {
        try
        {
            string magic = Encoding.ASCII.GetString(reader.ReadBytes(FileMagic.Length));
            if (magic != FileMagic)
            {
                throw new InvalidDataException($"'{path}' is not a FreeEnergy model checkpoint (it does not start with '{FileMagic}').");
            }

            int length = BinaryPrimitives.ReadInt32LittleEndian(reader.ReadBytes(4));
            if (length <= 0 || length > 1 << 20)
            {
                throw new InvalidDataException($"'{path}' has a damaged header (length {length}).");
            }

            var header = JsonSerializer.Deserialize<CheckpointHeader>(reader.ReadBytes(length), JsonOptions)
                ?? throw new InvalidDataException($"'{path}' has an empty header.");
            if (header.Format != CheckpointHeader.FormatName || header.Configuration is null)
            {
                throw new InvalidDataException($"'{path}' is not a FreeEnergy model checkpoint (format '{header.Format}').");
            }

            if (header.FormatVersion > FormatVersion)
            {
                throw new InvalidDataException($"'{path}' has checkpoint format version {header.FormatVersion}; this library reads up to version {FormatVersion}. Upgrade FreeEnergy.Core.");
            }

            return header;
        }
        catch (Exception ex) when (ex is EndOfStreamException or JsonException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException($"'{path}' is not a readable FreeEnergy model checkpoint: {ex.Message}", ex);
        }
    }
}
