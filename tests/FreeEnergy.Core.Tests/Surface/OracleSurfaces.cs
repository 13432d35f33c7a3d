using FreeEnergy.Core.Exact;
using FreeEnergy.Core.Models;
using FreeEnergy.Core.Surface;

namespace FreeEnergy.Core.Tests.Surface;

/// <summary>Surfaces of exact oracle solutions (DiscreteSource.Random(6, 3, seed: 11)) for the surface tests.</summary>
internal static class OracleSurfaces
{
    /// <summary>
    /// Exact solutions at the given multipliers in order, each continued from the previous one when it has the
    /// same γ (so a γ-major list continues along λ within each γ), as records of one plan "oracle".
    /// </summary>
    public static List<SurfaceRecord> Records(IEnumerable<(double Lambda, double Gamma)> points)
    {
        var source = DiscreteSource.Random(6, 3, seed: 11);
        var solver = new ExactFreeEnergySolver();
        var records = new List<SurfaceRecord>();
        ExactSolution? previous = null;
        foreach (var (lambda, gamma) in points)
        {
            var s = previous is not null && previous.Gamma == gamma ? solver.Solve(source, new Multipliers(lambda, gamma), previous) : solver.Solve(source, new Multipliers(lambda, gamma));
            previous = s;
            records.Add(new SurfaceRecord
            {
                Kind = SurfaceRecord.KindName,
                Plan = "oracle",
                Index = records.Count,
                Lambda = lambda,
                Gamma = gamma,
                Rate = s.Rate,
                Distortion = s.Distortion,
                Classification = s.Classification,
                FreeEnergy = s.FreeEnergy,
            });
        }

        return records;
    }

    /// <summary>The records of <see cref="Records"/> on the grid γ × λ (γ-major).</summary>
    public static List<SurfaceRecord> Grid(double[] lambdas, double[] gammas) => Records(gammas.SelectMany(g => lambdas.Select(l => (l, g))));
}
