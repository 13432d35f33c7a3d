namespace FreeEnergy.Core.Internal;

/// <summary>
/// The per-example terms r, d̄, c̄ of one model on one dataset with one z-noise, in example order (nats): what a
/// paired standard error under common random numbers needs.
/// </summary>
internal sealed record PerExampleTerms(double[] Rate, double[] Distortion, double[] Classification)
{
    public int Count => Rate.Length;

    /// <summary>
    /// The standard error of the mean over the examples of (a·r + b·d̄ + c·c̄)(this) − (a·r + b·d̄ + c·c̄)(other):
    /// the sample standard deviation of the per-example differences over √n.
    /// </summary>
    public double PairedStandardError(PerExampleTerms other, double a, double b, double c)
    {
        int n = Count;
        double sum = 0, squares = 0;
        for (int i = 0; i < n; i++)
        {
            double difference = (a * (Rate[i] - other.Rate[i])) + (b * (Distortion[i] - other.Distortion[i])) + (c * (Classification[i] - other.Classification[i]));
            sum += difference;
            squares += difference * difference;
        }

        double mean = sum / n;
        return Math.Sqrt(Math.Max(squares - (n * mean * mean), 0) / (n - 1) / n);
    }
}
