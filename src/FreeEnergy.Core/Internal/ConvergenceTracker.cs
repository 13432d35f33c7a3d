using FreeEnergy.Core.Models;
using FreeEnergy.Core.Training;

namespace FreeEnergy.Core.Internal;

/// <summary>
/// The window a <see cref="ConvergenceRule"/> judges: the objective and the functionals after every epoch since the
/// last restart (a learning-rate decay restarts it, so that the new rate is judged on its own epochs only).
/// </summary>
/// <param name="rule">The rule.</param>
internal sealed class ConvergenceTracker(ConvergenceRule rule)
{
    private readonly List<double> objectives = [];
    private readonly List<Functionals> functionals = [];

    /// <summary>Adds an epoch's objective and functionals.</summary>
    public void Add(double objective, Functionals measured)
    {
        objectives.Add(objective);
        functionals.Add(measured);
    }

    /// <summary>Forgets the window and starts it again from this epoch's objective and functionals.</summary>
    public void Restart(double objective, Functionals measured)
    {
        objectives.Clear();
        functionals.Clear();
        Add(objective, measured);
    }

    /// <summary>Whether the rule is met at the end of the window: J's relative change within the tolerance and R, D, C settled.</summary>
    /// <param name="change">The relative change of J over the window when met; NaN otherwise.</param>
    public bool IsMet(out double change)
    {
        if (rule.RelativeChange(objectives) is double c && c <= rule.RelativeTolerance && rule.FunctionalsSettled(functionals))
        {
            change = c;
            return true;
        }

        change = double.NaN;
        return false;
    }
}
