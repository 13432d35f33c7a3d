using FreeEnergy.Core.Internal;
using MathNet.Numerics.LinearAlgebra;

namespace FreeEnergy.Core.Tests.Derivatives;

/// <summary>
/// The implicit estimator's damped conjugate-gradient solver on plain arrays (no torch): known SPD systems against
/// a dense solve, the damping, the Ritz estimates of the extreme eigenvalues, the iteration cap, negative curvature
/// and bad input.
/// </summary>
public class DampedConjugateGradientTests
{
    private static Func<double[], double[]> Multiply(Matrix<double> a) => p => [.. (a * Vector<double>.Build.DenseOfArray(p)).ToArray()];

    private static double RelativeResidual(Matrix<double> a, double damping, double[] b, double[] x)
    {
        var bv = Vector<double>.Build.DenseOfArray(b);
        var shifted = a + (damping * Matrix<double>.Build.DenseIdentity(a.RowCount));
        return (bv - (shifted * Vector<double>.Build.DenseOfArray(x))).L2Norm() / bv.L2Norm();
    }

    [Fact]
    public void SolvesAKnownSpdSystemInAtMostNIterationsAndFindsItsExtremeEigenvalues()
    {
        var a = Matrix<double>.Build.DenseOfArray(new double[,] { { 4, 1, 0 }, { 1, 3, 1 }, { 0, 1, 2 } });
        double[] b = [1, 2, 3];
        var (report, x) = new DampedConjugateGradient(1e-12, 50).Solve(Multiply(a), b, 0, "advice");

        double[] expected = [.. a.Solve(Vector<double>.Build.DenseOfArray(b)).ToArray()];
        Assert.True(report.Converged);
        Assert.False(report.NegativeCurvature);
        Assert.InRange(report.Iterations, 1, 3); // exact arithmetic: n = 3 steps
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i], x[i], 1e-10);
        }

        var eigenvalues = a.Evd().EigenValues.Select(c => c.Real).ToArray();
        Assert.Equal(eigenvalues.Min(), report.SmallestRitzValue, 1e-8);
        Assert.Equal(eigenvalues.Max(), report.LargestRitzValue, 1e-8);
        Assert.True(report.RelativeResidual <= 1e-12);
        Assert.Equal(RelativeResidual(a, 0, b, x), report.RelativeResidual, 1e-10);
    }

    [Fact]
    public void DampingShiftsTheSystemAndTheRitzValuesAreReportedWithoutIt()
    {
        var a = Matrix<double>.Build.DenseOfDiagonalArray([1, 2, 3]);
        double[] b = [1, 1, 1];
        var (report, x) = new DampedConjugateGradient(1e-12, 50).Solve(Multiply(a), b, 0.5, "advice");

        Assert.True(report.Converged);
        Assert.Equal(1 / 1.5, x[0], 1e-12);
        Assert.Equal(1 / 2.5, x[1], 1e-12);
        Assert.Equal(1 / 3.5, x[2], 1e-12);
        Assert.Equal(1, report.SmallestRitzValue, 1e-9); // eigenvalues of A, not of A + δI
        Assert.Equal(3, report.LargestRitzValue, 1e-9);
    }

    [Fact]
    public void DampingMakesAnIndefiniteSystemSolvableAndWithoutItTheNegativeCurvatureIsReported()
    {
        var a = Matrix<double>.Build.DenseOfDiagonalArray([1, -2]);
        double[] b = [1, 1];
        var solver = new DampedConjugateGradient(1e-12, 50);

        var (negative, x0) = solver.Solve(Multiply(a), b, 0, "advice");
        Assert.True(negative.NegativeCurvature);
        Assert.False(negative.Converged);
        Assert.Equal(1, negative.Iterations);
        Assert.Equal(-0.5, negative.SmallestRitzValue, 1e-12); // pᵀAp / pᵀp of the first direction p = b
        Assert.Equal([0.0, 0.0], x0);                          // the iterate before that direction

        var (damped, x) = solver.Solve(Multiply(a), b, 3, "advice");
        Assert.False(damped.NegativeCurvature);
        Assert.True(damped.Converged);
        Assert.Equal(1 / 4.0, x[0], 1e-12);
        Assert.Equal(1 / 1.0, x[1], 1e-12);
        Assert.Equal(-2, damped.SmallestRitzValue, 1e-9);
        Assert.Equal(1, damped.LargestRitzValue, 1e-9);
    }

    [Fact]
    public void TheIterationCapStopsAnIllConditionedSolveAndTheReportedResidualIsTheTrueOne()
    {
        int n = 40;
        var a = Matrix<double>.Build.DenseOfDiagonalArray([.. Enumerable.Range(0, n).Select(i => Math.Pow(10, 6.0 * i / (n - 1)))]);
        double[] b = [.. Enumerable.Range(0, n).Select(i => 1.0 + (i % 3))];
        var (report, x) = new DampedConjugateGradient(1e-10, 3).Solve(Multiply(a), b, 0, "advice");

        Assert.Equal(3, report.Iterations);
        Assert.False(report.Converged);
        Assert.False(report.NegativeCurvature);
        Assert.True(report.RelativeResidual > 1e-10);
        Assert.Equal(RelativeResidual(a, 0, b, x), report.RelativeResidual, 1e-9);
        Assert.True(report.LargestRitzValue <= 1e6 * (1 + 1e-9)); // Ritz values lie inside the spectrum
        Assert.True(report.SmallestRitzValue >= 1 - 1e-9);
    }

    [Fact]
    public void AZeroRightHandSideNeedsNoProduct()
    {
        int products = 0;
        var (report, x) = new DampedConjugateGradient(1e-6, 10).Solve(p => { products++; return p; }, [0.0, 0.0], 1e-4, "advice");
        Assert.Equal(0, products);
        Assert.Equal(0, report.Iterations);
        Assert.True(report.Converged);
        Assert.Equal(0, report.RelativeResidual);
        Assert.True(double.IsNaN(report.SmallestRitzValue));
        Assert.Equal([0.0, 0.0], x);
    }

    [Fact]
    public void BadInputIsRejectedWithTheParameterName()
    {
        Func<double[], double[]> identity = p => (double[])p.Clone();
        var solver = new DampedConjugateGradient(1e-6, 10);
        Assert.Equal("tolerance", Assert.Throws<ArgumentOutOfRangeException>(() => new DampedConjugateGradient(0, 10)).ParamName);
        Assert.Equal("tolerance", Assert.Throws<ArgumentOutOfRangeException>(() => new DampedConjugateGradient(1, 10)).ParamName);
        Assert.Equal("maxIterations", Assert.Throws<ArgumentOutOfRangeException>(() => new DampedConjugateGradient(1e-6, 0)).ParamName);
        Assert.Equal("multiply", Assert.Throws<ArgumentNullException>(() => solver.Solve(null!, [1.0], 0, "advice")).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentNullException>(() => solver.Solve(identity, null!, 0, "advice")).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => solver.Solve(identity, [], 0, "advice")).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => solver.Solve(identity, [1.0, double.NaN], 0, "advice")).ParamName);
        Assert.Equal("damping", Assert.Throws<ArgumentOutOfRangeException>(() => solver.Solve(identity, [1.0], -1e-3, "advice")).ParamName);
        Assert.Equal("damping", Assert.Throws<ArgumentOutOfRangeException>(() => solver.Solve(identity, [1.0], double.PositiveInfinity, "advice")).ParamName);
        var shape = Assert.Throws<ArgumentException>(() => solver.Solve(_ => [1.0, 2.0, 3.0], [1.0, 1.0], 0, "advice"));
        Assert.Equal("multiply", shape.ParamName);
        Assert.Contains("length of p (2); got 3", shape.Message, StringComparison.Ordinal);

        var nonFinite = Assert.Throws<InvalidOperationException>(() => solver.Solve(p => [.. p.Select(_ => double.NaN)], [1.0, 1.0], 0, "the operator overflows."));
        Assert.Contains("at CG iteration 1; the operator overflows.", nonFinite.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CancellationIsCheckedBeforeEveryProduct()
    {
        using var cts = new CancellationTokenSource();
        int products = 0;
        double[] Product(double[] p)
        {
            if (++products == 2)
            {
                cts.Cancel();
            }

            return [.. p.Select((v, i) => v * (i + 1))];
        }

        Assert.ThrowsAny<OperationCanceledException>(() => new DampedConjugateGradient(1e-14, 100).Solve(Product, [1.0, 1.0, 1.0, 1.0], 0, "advice", cts.Token));
        Assert.Equal(2, products);
    }
}
