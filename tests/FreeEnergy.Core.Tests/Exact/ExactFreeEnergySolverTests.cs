using FreeEnergy.Core.Diagnostics;
using FreeEnergy.Core.Exact;
using FreeEnergy.Core.Models;
using Xunit.Abstractions;

namespace FreeEnergy.Core.Tests.Exact;

public class ExactFreeEnergySolverTests(ITestOutputHelper output)
{
    /// <summary>Seeded random joints with |X| = 6..8 and |Y| = 2..3, and points in both regimes (λ &lt; 1: information bottleneck; λ &gt; 1).</summary>
    public static TheoryData<int, int, int, double, double> Cases()
    {
        var data = new TheoryData<int, int, int, double, double>();
        foreach (var (seed, nx, ny) in new[] { (1, 7, 3), (2, 8, 2), (3, 6, 3) })
        {
            foreach (var (lambda, gamma) in new[] { (0.3, 5.0), (0.6, 4.0), (0.8, 1.0), (1.5, 1.0), (3.0, 2.0) })
            {
                data.Add(seed, nx, ny, lambda, gamma);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FunctionalsMatchTheClosedFormsAtAFixedPoint(int seed, int nx, int ny, double lambda, double gamma)
    {
        var source = DiscreteSource.Random(nx, ny, seed);
        // Two starts: the closed forms hold at every fixed point, global or not.
        var solution = new ExactFreeEnergySolver(new ExactSolverOptions(seed: seed, restarts: 2)).Solve(source, new Multipliers(lambda, gamma));

        double info = ClosedForms.InputInformation(source, solution);
        double labelLoss = ClosedForms.LabelGivenLatentEntropy(source, solution);
        double defect = ClosedForms.MaxFixedPointDefect(source, solution);
        output.WriteLine($"{solution}; |R − I| = {Math.Abs(solution.Rate - info):G2}, |D − (H − I)| = {Math.Abs(solution.Distortion - (source.InputEntropy - info)):G2}, |C − H(y|z)| = {Math.Abs(solution.Classification - labelLoss):G2}, fixed-point defect = {defect:G2}");

        Assert.True(solution.Converged, solution.ToString());
        Assert.True(solution.MaxEncoderChange < ExactSolverOptions.Defaults.Tolerance);
        Assert.Equal(info, solution.Rate, 1e-9);
        Assert.Equal(source.InputEntropy - info, solution.Distortion, 1e-9);
        Assert.Equal(labelLoss, solution.Classification, 1e-9);
        Assert.Equal(info, solution.MutualInformation, 1e-9);
        Assert.Equal(source.LabelEntropy - labelLoss, solution.LabelInformation, 1e-9);
        Assert.Equal(solution.Rate + (lambda * solution.Distortion) + (gamma * solution.Classification), solution.FreeEnergy, 1e-12);
        Assert.True(defect < 1e-12, $"one more e-step moves e by {defect:G3}");

        // The tables are distributions.
        Assert.All(solution.Encoder.EnumerateRows(), row => Assert.Equal(1, row.Sum(), 1e-12));
        Assert.All(solution.Decoder.EnumerateRows(), row => Assert.Equal(1, row.Sum(), 1e-12));
        Assert.All(solution.Classifier.EnumerateRows(), row => Assert.Equal(1, row.Sum(), 1e-12));
        Assert.Equal(1, solution.Marginal.Sum(), 1e-12);
    }

    /// <summary>
    /// For λ &gt; 1, J(e) = λH(x) − (λ − 1)·I(x;z) + γ·H(y|z) once m, d, c are optimal. I(x;z) ≤ H(x) and
    /// H(y|z) ≥ H(y|x) (data processing along y − x − z), with equality in both exactly when z determines x,
    /// which |Z| ≥ |X| allows. So the optimum keeps all of x: R = H(x), D = 0, C = H(y|x), F = H(x) + γ·H(y|x).
    /// </summary>
    [Theory]
    [InlineData(1, 7, 3, 1.5, 1.0)]
    [InlineData(2, 8, 2, 3.0, 2.0)]
    [InlineData(3, 6, 3, 1.2, 0.5)]
    [InlineData(4, 7, 2, 200.0, 500.0)]
    public void AboveLambdaOneTheOptimumKeepsAllOfX(int seed, int nx, int ny, double lambda, double gamma)
    {
        var source = DiscreteSource.Random(nx, ny, seed);
        var solution = new ExactFreeEnergySolver(new ExactSolverOptions(seed: seed)).Solve(source, new Multipliers(lambda, gamma));
        output.WriteLine(solution.ToString());

        Assert.True(solution.Converged);
        Assert.Equal(source.InputEntropy, solution.Rate, 1e-9);
        Assert.InRange(solution.Distortion, 0, 1e-9);
        Assert.Equal(source.LabelGivenInputEntropy, solution.Classification, 1e-9);
        Assert.Equal(source.InputEntropy + (gamma * source.LabelGivenInputEntropy), solution.FreeEnergy, 1e-8 * Math.Max(1, gamma));

        // z determines x: every input has one state of its own.
        var encoder = solution.Encoder;
        var owners = Enumerable.Range(0, nx).Select(x => encoder.Row(x).MaximumIndex()).ToArray();
        Assert.Equal(nx, owners.Distinct().Count());
        Assert.All(Enumerable.Range(0, nx), x => Assert.Equal(1, encoder[x, owners[x]], 1e-9));
    }

    /// <summary>
    /// For λ &lt; 1 and γ = 0, J(e) = (1 − λ)·I(x;z) + λ·H(x) with 1 − λ &gt; 0, minimised exactly by I(x;z) = 0:
    /// e(z|x) = m(z), so R = 0, D = H(x), C = H(y|z) = H(y) and F = λ·H(x).
    /// </summary>
    [Theory]
    [InlineData(1, 7, 3, 0.5)]
    [InlineData(2, 8, 2, 0.9)]
    [InlineData(5, 6, 3, 0.1)]
    public void WithoutClassificationBelowLambdaOneNothingIsKept(int seed, int nx, int ny, double lambda)
    {
        var source = DiscreteSource.Random(nx, ny, seed);
        var solution = new ExactFreeEnergySolver(new ExactSolverOptions(seed: seed)).Solve(source, new Multipliers(lambda, 0));
        output.WriteLine(solution.ToString());

        Assert.True(solution.Converged);
        Assert.Equal(0, solution.Rate, 1e-12);
        Assert.Equal(0, solution.MutualInformation, 1e-12);
        Assert.Equal(source.InputEntropy, solution.Distortion, 1e-12);
        Assert.Equal(source.LabelEntropy, solution.Classification, 1e-12);
        Assert.Equal(lambda * source.InputEntropy, solution.FreeEnergy, 1e-12);
        var encoder = solution.Encoder;
        var marginal = solution.Marginal;
        Assert.All(Enumerable.Range(0, nx), x => Assert.True((encoder.Row(x) - marginal).AbsoluteMaximum() < 1e-12));
    }

    /// <summary>
    /// For λ &lt; 1, J(e) = (1 − λ)·[I(x;z) − β·I(y;z)] + λ·H(x) + γ·H(y) with β = γ / (1 − λ), and the fixed points of
    /// the iteration are the self-consistent IB equations e(z|x) ∝ m(z)·exp(β·Σ_y p(y|x)·log c(y|z)). So (λ, γ) pairs
    /// with the same β have the same optimal encoders: the same I(x;z), I(y;z), hence the same D and C.
    /// </summary>
    [Theory]
    [InlineData(2, 8, 2, 4.0)]
    [InlineData(3, 6, 3, 8.0)]
    public void BelowLambdaOneOnlyTheBottleneckBetaMatters(int seed, int nx, int ny, double beta)
    {
        var source = DiscreteSource.Random(nx, ny, seed);
        var solver = new ExactFreeEnergySolver(new ExactSolverOptions(seed: seed));
        var solutions = new[] { 0.2, 0.5, 0.75 }.Select(l => solver.Solve(source, new Multipliers(l, beta * (1 - l)))).ToArray();
        foreach (var s in solutions)
        {
            output.WriteLine($"{s}; I(x;z) = {s.MutualInformation:R}, I(y;z) = {s.LabelInformation:R}");
        }

        Assert.True(solutions[0].MutualInformation > 0.1, "β is above the first IB transition: something is kept");
        foreach (var s in solutions.Skip(1))
        {
            Assert.Equal(solutions[0].MutualInformation, s.MutualInformation, 1e-9);
            Assert.Equal(solutions[0].LabelInformation, s.LabelInformation, 1e-9);
            Assert.Equal(solutions[0].Distortion, s.Distortion, 1e-9);
            Assert.Equal(solutions[0].Classification, s.Classification, 1e-9);
        }
    }

    [Fact]
    public void AWarmStartFromAFixedPointStaysThere()
    {
        var source = DiscreteSource.Random(7, 3, seed: 1);
        var solver = new ExactFreeEnergySolver(new ExactSolverOptions(seed: 1));
        var first = solver.Solve(source, new Multipliers(0.3, 5));
        var again = solver.Solve(source, new Multipliers(0.3, 5), first);
        Assert.True(again.Iterations <= 2, $"{again.Iterations} iterations");
        Assert.Equal(first.FreeEnergy, again.FreeEnergy, 1e-14);
        Assert.True((first.Encoder - again.Encoder).Enumerate().Max(Math.Abs) < 1e-14);

        // SolveFrom with the same encoder as a plain array reaches the same point.
        var fromArray = solver.SolveFrom(source, new Multipliers(0.3, 5), first.Encoder.ToArray());
        Assert.Equal(first.FreeEnergy, fromArray.FreeEnergy, 1e-13);
    }

    [Fact]
    public void MoreRestartsNeverRaiseTheFreeEnergyAndTheSeedIsReproducible()
    {
        var source = DiscreteSource.Random(6, 3, seed: 3);
        var one = new ExactFreeEnergySolver(new ExactSolverOptions(seed: 3, restarts: 1)).Solve(source, new Multipliers(0.6, 4));
        var many = new ExactFreeEnergySolver(new ExactSolverOptions(seed: 3, restarts: 8)).Solve(source, new Multipliers(0.6, 4));
        var manyAgain = new ExactFreeEnergySolver(new ExactSolverOptions(seed: 3, restarts: 8)).Solve(source, new Multipliers(0.6, 4));
        output.WriteLine($"1 start: {one}\n8 starts: {many}");
        Assert.True(many.FreeEnergy <= one.FreeEnergy);
        Assert.Equal(many.Encoder, manyAgain.Encoder);
    }

    [Fact]
    public void TheIterationCapIsReportedAsNotConverged()
    {
        var source = DiscreteSource.Random(7, 3, seed: 1);
        var solution = new ExactFreeEnergySolver(new ExactSolverOptions(seed: 1, maxIterations: 5, restarts: 1)).Solve(source, new Multipliers(0.6, 4));
        Assert.False(solution.Converged);
        Assert.Equal(5, solution.Iterations);
        Assert.True(solution.MaxEncoderChange >= ExactSolverOptions.Defaults.Tolerance);

        // Even unconverged, m, d, c are the block optima of the final e, so the closed forms hold.
        double info = ClosedForms.InputInformation(source, solution);
        Assert.Equal(info, solution.Rate, 1e-12);
        Assert.Equal(source.InputEntropy - info, solution.Distortion, 1e-12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void ASmallLatentAlphabetStillGivesConsistentFunctionals(int latentSize)
    {
        var source = DiscreteSource.Random(8, 3, seed: 6);
        var solution = new ExactFreeEnergySolver(new ExactSolverOptions(latentSize: latentSize, seed: 6)).Solve(source, new Multipliers(2, 3));
        Assert.Equal(latentSize, solution.LatentSize);
        Assert.True(solution.Converged);
        double info = ClosedForms.InputInformation(source, solution);
        Assert.Equal(info, solution.Rate, 1e-9);
        Assert.Equal(source.InputEntropy - info, solution.Distortion, 1e-9);
        Assert.Equal(ClosedForms.LabelGivenLatentEntropy(source, solution), solution.Classification, 1e-9);
        Assert.True(info <= Math.Log(latentSize) + 1e-12, "I(x;z) ≤ log |Z|");
    }

    [Theory]
    [InlineData(0.0, 1.0, "lambda", "got 0")]
    [InlineData(-1.0, 1.0, "lambda", "got -1")]
    [InlineData(double.NaN, 1.0, "lambda", "got NaN")]
    [InlineData(1.0, -0.5, "gamma", "got -0.5")]
    [InlineData(1.0, double.PositiveInfinity, "gamma", "got Infinity")]
    public void RejectsBadMultipliers(double lambda, double gamma, string parameter, string actual)
    {
        var source = DiscreteSource.Random(3, 2, seed: 1);
#pragma warning disable CS0618 // The two-double forwarder, kept because the docs used it, validates λ and γ itself.
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ExactFreeEnergySolver().Solve(source, lambda, gamma));
#pragma warning restore CS0618
        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains(actual, ex.Message, StringComparison.Ordinal);
        Assert.Contains(parameter == "lambda" ? "> 0" : "≥ 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsBadOptions()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ExactSolverOptions(latentSize: 0));
        Assert.Equal("latentSize", ex.ParamName);
        Assert.Contains("≥ 1; got 0", ex.Message, StringComparison.Ordinal);
        Assert.Equal("tolerance", Assert.Throws<ArgumentOutOfRangeException>(() => new ExactSolverOptions(tolerance: 0)).ParamName);
        Assert.Equal("tolerance", Assert.Throws<ArgumentOutOfRangeException>(() => new ExactSolverOptions(tolerance: double.NaN)).ParamName);
        Assert.Equal("maxIterations", Assert.Throws<ArgumentOutOfRangeException>(() => new ExactSolverOptions(maxIterations: 0)).ParamName);
        Assert.Equal("restarts", Assert.Throws<ArgumentOutOfRangeException>(() => new ExactSolverOptions(restarts: 0)).ParamName);

        // Options changed with `with` skip the constructor: the solver validates them once and lists every problem.
        var all = Assert.Throws<FreeEnergyConfigurationException>(() => new ExactFreeEnergySolver(new ExactSolverOptions() with { LatentSize = 0, Tolerance = double.NaN, MaxIterations = 0, Restarts = 0 }));
        Assert.Equal(4, all.Problems.Count);
        Assert.Equal(new ExactSolverOptions(), new ExactSolverOptions(null, ExactSolverOptions.Defaults.Tolerance, ExactSolverOptions.Defaults.MaxIterations, ExactSolverOptions.Defaults.Seed, ExactSolverOptions.Defaults.Restarts));
        Assert.Equal(1e-12, (new ExactSolverOptions(seed: 2) with { Tolerance = 1e-12 }).Tolerance);
    }

    [Fact]
    public void TheMultipliersOverloadsAgreeWithTheForwardersAndRejectDefaultMultipliers()
    {
        var source = DiscreteSource.Random(4, 2, seed: 5);
        var solver = new ExactFreeEnergySolver(new ExactSolverOptions(seed: 2, restarts: 2));
        var solution = solver.Solve(source, new Multipliers(1.5, 2));
        Assert.Equal(new Multipliers(1.5, 2), solution.Multipliers);
        Assert.Equal(new Multipliers(1.5, 2), solution.ToSurfacePoint().Multipliers);
#pragma warning disable CS0618 // The forwarders the docs promised.
        Assert.Equal(solution.FreeEnergy, solver.Solve(source, 1.5, 2).FreeEnergy);
        Assert.Equal(solver.Solve(source, new Multipliers(1.4, 2), solution).FreeEnergy, solver.Solve(source, 1.4, 2, solution).FreeEnergy);
        Assert.Equal(solver.SolveFrom(source, new Multipliers(1.4, 2), solution.Encoder.ToArray()).FreeEnergy, solver.SolveFrom(source, 1.4, 2, solution.Encoder.ToArray()).FreeEnergy);
#pragma warning restore CS0618
        Assert.Equal("multipliers", Assert.Throws<ArgumentOutOfRangeException>(() => solver.Solve(source, default)).ParamName);
        Assert.Equal("multipliers", Assert.Throws<ArgumentOutOfRangeException>(() => solver.Solve(source, default, solution)).ParamName);
        Assert.Equal("multipliers", Assert.Throws<ArgumentOutOfRangeException>(() => solver.SolveFrom(source, default, solution.Encoder.ToArray())).ParamName);
    }

    [Fact]
    public void RejectsStartsThatDoNotFitTheSource()
    {
        var source = DiscreteSource.Random(4, 2, seed: 1);
        var solver = new ExactFreeEnergySolver();
        var other = solver.Solve(DiscreteSource.Random(5, 2, seed: 1), new Multipliers(0.5, 1));
        var ex = Assert.Throws<ArgumentException>(() => solver.Solve(source, new Multipliers(0.5, 1), other));
        Assert.Equal("warmStart", ex.ParamName);
        Assert.Contains("|X| = 4 rows", ex.Message, StringComparison.Ordinal);
        Assert.Contains("got 5", ex.Message, StringComparison.Ordinal);

        ex = Assert.Throws<ArgumentException>(() => solver.SolveFrom(source, new Multipliers(0.5, 1), new double[3, 4]));
        Assert.Equal("initialEncoder", ex.ParamName);
        Assert.Contains("got [3, 4]", ex.Message, StringComparison.Ordinal);

        var notNormalised = new double[4, 2];
        for (int x = 0; x < 4; x++)
        {
            notNormalised[x, 0] = 0.5;
            notNormalised[x, 1] = x == 2 ? 0.2 : 0.5;
        }

        ex = Assert.Throws<ArgumentException>(() => solver.SolveFrom(source, new Multipliers(0.5, 1), notNormalised));
        Assert.Contains("row x = 2 sums to 0.7", ex.Message, StringComparison.Ordinal);
        notNormalised[2, 1] = -0.5;
        ex = Assert.Throws<ArgumentException>(() => solver.SolveFrom(source, new Multipliers(0.5, 1), notNormalised));
        Assert.Contains("initialEncoder[2, 1] = -0.5", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => solver.Solve(null!, new Multipliers(0.5, 1)));
    }
}
