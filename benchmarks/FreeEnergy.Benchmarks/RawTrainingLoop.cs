using System.Buffers.Binary;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FreeEnergy.Benchmarks;

/// <summary>
/// The baseline of the overhead benchmark: a hand-written TorchSharp training loop that computes the same
/// model, loss and Adam update as <c>EquilibriumTrainer.Train</c> on a <c>RateDistortionModel</c> (Gaussian
/// encoder with K reparameterised samples drawn on a CPU generator, Bernoulli decoder scored with
/// binary-cross-entropy-with-logits, analytic KL to N(0, I), linear classifier with cross-entropy,
/// J = mean(R + λ·mean_K D + γ·mean_K C), Adam), with no FreeEnergy code at all: plain modules, plain
/// tensors, one dispose scope per step, no reads of the device during an epoch.
/// </summary>
/// <remarks>
/// The modules use the library's field names, so a checkpoint written by <c>RateDistortionModel.Save</c>
/// loads into this network (<see cref="LoadCheckpoint"/>) and the two start from identical weights.
/// </remarks>
internal sealed class RawTrainingLoop : IDisposable
{
    private readonly RawNetwork network;
    private readonly int samples;
    private readonly long latent;

    /// <summary>Builds the network of the default MLP (784 → hidden → 2×latent, mirrored decoder) or the conv model.</summary>
    public RawTrainingLoop(bool conv, int samples, int[] hiddenSizes, int latentSize = 16, int classes = 10)
    {
        this.samples = samples;
        latent = latentSize;
        network = conv ? RawNetwork.Conv(latentSize, classes) : RawNetwork.Mlp(hiddenSizes, latentSize, classes);
    }

    /// <summary>The number of trainable scalars.</summary>
    public long ParameterCount => network.parameters().Sum(p => p.numel());

    /// <summary>Reads the weights of a <c>RateDistortionModel</c> checkpoint (magic, header length, JSON header, state).</summary>
    public void LoadCheckpoint(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        reader.ReadBytes(8);
        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(reader.ReadBytes(4));
        reader.ReadBytes(headerLength);
        network.load(reader, strict: true);
    }

    /// <summary>The parameters and buffers by name (the caller must not dispose them).</summary>
    public IReadOnlyDictionary<string, Tensor> State() => network.state_dict();

    /// <summary>
    /// One epoch: a permutation drawn from <paramref name="shuffle"/>, batches of <paramref name="batchSize"/>
    /// gathered with index_select, forward, J, backward and a step of a fresh Adam; then one evaluation pass
    /// over <paramref name="evaluationInputs"/> (as <c>Train</c> measures J after every epoch).
    /// </summary>
    /// <returns>The example-weighted mean training loss of the epoch and the evaluation sums [R, D, C, accuracy].</returns>
    public (double MeanLoss, double[] EvaluationSums) TrainEpoch(
        Tensor inputs,
        Tensor labels,
        Tensor evaluationInputs,
        Tensor evaluationLabels,
        Generator shuffle,
        Generator noise,
        double lambda,
        double gamma,
        int batchSize = 64,
        double learningRate = 1e-3,
        double beta1 = 0.9,
        double beta2 = 0.999)
    {
        using var optimizer = optim.Adam(network.parameters(), learningRate, beta1, beta2);
        using var order = randperm(inputs.shape[0], generator: shuffle);
        using var lossSum = zeros(1, dtype: ScalarType.Float64);
        long count = inputs.shape[0];
        network.train();
        for (long start = 0; start < count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var index = order.narrow(0, start, Math.Min(batchSize, count - start));
            var x = inputs.index_select(0, index);
            var y = labels.index_select(0, index);
            optimizer.zero_grad();
            var loss = Loss(x, y, noise, lambda, gamma);
            loss.backward();
            optimizer.step();
            lossSum.add_(loss.detach() * x.shape[0]);
        }

        double meanLoss = lossSum.item<double>() / count;
        return (meanLoss, Evaluate(evaluationInputs, evaluationLabels, 1000, 0));
    }

    /// <summary>
    /// The steps of <see cref="TrainEpoch"/> (no evaluation pass) with three phases timed apart: forward (gather,
    /// loss), backward (<c>loss.backward()</c>) and optimiser (<c>zero_grad</c> and <c>step</c>). With one torch
    /// thread every kernel runs synchronously on the calling thread, so the phases add up to the step.
    /// </summary>
    /// <returns>The mean training loss and the seconds spent in [forward, backward, optimiser].</returns>
    public (double MeanLoss, double[] PhaseSeconds) TrainEpochByPhase(Tensor inputs, Tensor labels, Generator shuffle, Generator noise, double lambda, double gamma, int batchSize = 64)
    {
        using var optimizer = optim.Adam(network.parameters(), 1e-3, 0.9, 0.999);
        using var order = randperm(inputs.shape[0], generator: shuffle);
        using var lossSum = zeros(1, dtype: ScalarType.Float64);
        long count = inputs.shape[0];
        var phases = new double[3];
        network.train();
        for (long start = 0; start < count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            var index = order.narrow(0, start, Math.Min(batchSize, count - start));
            var x = inputs.index_select(0, index);
            var y = labels.index_select(0, index);
            var loss = Loss(x, y, noise, lambda, gamma);
            long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
            loss.backward();
            long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
            optimizer.step();
            optimizer.zero_grad();
            long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
            lossSum.add_(loss.detach() * x.shape[0]);
            phases[0] += System.Diagnostics.Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
            phases[1] += System.Diagnostics.Stopwatch.GetElapsedTime(t1, t2).TotalSeconds;
            phases[2] += System.Diagnostics.Stopwatch.GetElapsedTime(t2, t3).TotalSeconds;
        }

        return (lossSum.item<double>() / count, phases);
    }

    /// <summary>
    /// The batch mean of J = R + λ·mean_K D + γ·mean_K C for inputs <paramref name="x"/> [B, ...] and labels
    /// <paramref name="y"/> [B], noise drawn from <paramref name="noise"/>: a scalar tensor in the caller's scope.
    /// </summary>
    public Tensor Loss(Tensor x, Tensor y, Generator noise, double lambda, double gamma)
    {
        var (rate, distortion, classification, _) = Terms(x, y, noise);
        var perExample = rate + (distortion.mean([0]) * lambda);
        if (gamma != 0)
        {
            perExample = perExample + (classification.mean([0]) * gamma);
        }

        return perExample.mean();
    }

    /// <summary>
    /// Sums of [R, D, C, accuracy] over the inputs in evaluation mode without gradients, batches of
    /// <paramref name="batchSize"/> in order, noise from a fresh generator seeded with <paramref name="noiseSeed"/>.
    /// </summary>
    public double[] Evaluate(Tensor inputs, Tensor labels, int batchSize, ulong noiseSeed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var noise = new Generator(noiseSeed);
        network.eval();
        var totals = zeros(4, dtype: ScalarType.Float64);
        long count = inputs.shape[0];
        for (long start = 0; start < count; start += batchSize)
        {
            using var batchScope = NewDisposeScope();
            long length = Math.Min(batchSize, count - start);
            var (rate, distortion, classification, logits) = Terms(inputs.narrow(0, start, length), labels.narrow(0, start, length), noise);
            var correct = logits.argmax(-1).eq(labels.narrow(0, start, length).repeat(samples)).to(ScalarType.Float32).reshape(samples, length);
            totals.add_(stack([rate.sum(), distortion.mean([0]).sum(), classification.mean([0]).sum(), correct.mean([0]).sum()]).to(ScalarType.Float64));
        }

        network.train();
        return totals.data<double>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => network.Dispose();

    /// <summary>R [B], D [K, B], C [K, B] and the classifier's logits [K·B, classes].</summary>
    private (Tensor Rate, Tensor Distortion, Tensor Classification, Tensor Logits) Terms(Tensor x, Tensor y, Generator noise)
    {
        long batch = x.shape[0];
        var h = network.Features.call(x);
        var mean = network.Mean.call(h);
        var logVariance = network.LogVariance.call(h);
        var epsilon = randn([samples, batch, latent], generator: noise);
        var z = mean.unsqueeze(0) + ((logVariance * 0.5).exp().unsqueeze(0) * epsilon);
        var flatZ = z.reshape(samples * batch, latent);
        var reconstruction = network.Decoder.call(flatZ).reshape(samples, batch, -1);
        var target = x.reshape(1, batch, -1).expand(samples, batch, -1);
        var distortion = nn.functional.binary_cross_entropy_with_logits(reconstruction, target, reduction: nn.Reduction.None).sum(-1);
        var logits = network.Classifier.call(flatZ);
        var classification = nn.functional.cross_entropy(logits, y.repeat(samples), reduction: nn.Reduction.None).reshape(samples, batch);
        var rate = mean.square().add_(logVariance.exp()).sub_(1.0).sub_(logVariance).sum(-1).mul_(0.5);
        return (rate, distortion, classification, logits);
    }

    /// <summary>The modules, with the same names (hence the same state keys) as the library's network.</summary>
    private sealed class RawNetwork : nn.Module
    {
        private readonly RawEncoder encoder;
        private readonly Sequential decoder;
        private readonly Linear classifier;

        private RawNetwork(RawEncoder encoder, Sequential decoder, Linear classifier)
            : base("RateDistortionNetwork")
        {
            this.encoder = encoder;
            this.decoder = decoder;
            this.classifier = classifier;
            RegisterComponents();
        }

        public Sequential Features => encoder.Features;

        public Linear Mean => encoder.Mean;

        public Linear LogVariance => encoder.LogVariance;

        public Sequential Decoder => decoder;

        public Linear Classifier => classifier;

        public static RawNetwork Mlp(int[] hidden, long latent, long classes)
        {
            var encoderLayers = new List<nn.Module<Tensor, Tensor>> { nn.Flatten() };
            long width = 784;
            foreach (int h in hidden)
            {
                encoderLayers.Add(nn.Linear(width, h));
                encoderLayers.Add(nn.ReLU());
                width = h;
            }

            var decoderLayers = new List<nn.Module<Tensor, Tensor>>();
            long decoderWidth = latent;
            foreach (int h in hidden.Reverse())
            {
                decoderLayers.Add(nn.Linear(decoderWidth, h));
                decoderLayers.Add(nn.ReLU());
                decoderWidth = h;
            }

            decoderLayers.Add(nn.Linear(decoderWidth, 784));
            decoderLayers.Add(nn.Unflatten(1, [1, 28, 28]));
            return new RawNetwork(new RawEncoder(nn.Sequential(encoderLayers), width, latent), nn.Sequential(decoderLayers), nn.Linear(latent, classes));
        }

        /// <summary>The authors' DCGAN-style encoder and decoder for 1×28×28 inputs.</summary>
        public static RawNetwork Conv(long latent, long classes)
        {
            var features = nn.Sequential(
                nn.Conv2d(1, 64, 4, stride: 2, padding: 1L),
                nn.LeakyReLU(0.2),
                nn.Conv2d(64, 128, 4, stride: 2, padding: 1L),
                nn.BatchNorm2d(128),
                nn.LeakyReLU(0.2),
                nn.Conv2d(128, 256, 3, stride: 2, padding: 1L),
                nn.BatchNorm2d(256),
                nn.LeakyReLU(0.2),
                nn.Conv2d(256, 1024, 4, stride: 1, padding: 0L),
                nn.BatchNorm2d(1024),
                nn.LeakyReLU(0.2),
                nn.Flatten(),
                nn.Linear(1024, 512),
                nn.LeakyReLU(0.2));
            var decoder = nn.Sequential(
                nn.Linear(latent, 512),
                nn.ReLU(),
                nn.Linear(512, 1024),
                nn.ReLU(),
                nn.Unflatten(1, [1024, 1, 1]),
                nn.ConvTranspose2d(1024, 512, 4, stride: 1, padding: 0L),
                nn.BatchNorm2d(512),
                nn.ReLU(),
                nn.ConvTranspose2d(512, 256, 3, stride: 2, padding: 1L),
                nn.BatchNorm2d(256),
                nn.ReLU(),
                nn.ConvTranspose2d(256, 128, 4, stride: 2, padding: 1L),
                nn.BatchNorm2d(128),
                nn.ReLU(),
                nn.ConvTranspose2d(128, 1, 4, stride: 2, padding: 1L));
            return new RawNetwork(new RawEncoder(features, 512, latent), decoder, nn.Linear(latent, classes));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                encoder.Dispose();
                decoder.Dispose();
                classifier.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Feature network and the two linear heads μ and log σ².</summary>
    private sealed class RawEncoder : nn.Module
    {
        private readonly Sequential features;
        private readonly Linear mean;
        private readonly Linear logVariance;

        public RawEncoder(Sequential features, long featureSize, long latent)
            : base("GaussianEncoder")
        {
            this.features = features;
            mean = nn.Linear(featureSize, latent);
            logVariance = nn.Linear(featureSize, latent);
            RegisterComponents();
        }

        public Sequential Features => features;

        public Linear Mean => mean;

        public Linear LogVariance => logVariance;

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                features.Dispose();
                mean.Dispose();
                logVariance.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
