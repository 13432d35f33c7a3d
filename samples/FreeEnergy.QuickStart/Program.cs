// The shortest useful FreeEnergy.Core program: train a model to equilibrium at one (λ, γ) on the
// Fashion-MNIST test split shipped with FreeEnergy.Datasets, and print R, D and C in nats per example.
using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;
using FreeEnergy.Datasets;

FreeEnergyRuntime.SetThreadCount(1); // fastest for small models on few cores, and bit-reproducible
int maxEpochs = args.Length > 0 && int.TryParse(args[0], out int e) ? e : 30;

using var images = FashionMnist.LoadShippedTestSplit();
var (training, evaluation) = images.StratifiedSplit(evaluationFraction: 0.2, seed: 1);
using (training)
using (evaluation)
using (var model = RateDistortionModel.CreateBuilder()
    .WithInputShape(1, 28, 28)
    .WithClasses(10)
    .WithSamples(1)
    .WithSeed(1)
    .Build())
{
    var multipliers = new Multipliers(lambda: 1.0, gamma: 10.0);
    var result = new EquilibriumTrainer()
        .WithConvergence(window: 2, relativeTolerance: 5e-3, maxEpochs: maxEpochs)
        .Train(model, multipliers, training, evaluation,
            new SynchronousProgress<TrainingProgress>(p => Console.WriteLine($"epoch {p.Epoch}/{p.MaxEpochs}: J = {p.EvaluationObjective:F2} nats")));

    var f = result.Evaluation;
    Console.WriteLine($"At {multipliers} after {result.Epochs} epochs (converged: {result.Converged}):");
    Console.WriteLine($"  rate R           = {f.Rate,8:F3} nats ({f.RateBits:F3} bits) per example");
    Console.WriteLine($"  distortion D     = {f.Distortion,8:F3} nats per example");
    Console.WriteLine($"  classification C = {f.Classification,8:F3} nats per example, accuracy {f.Accuracy:P1}");
    Console.WriteLine($"  free energy F    = {result.FreeEnergy,8:F3} nats per example");
}
