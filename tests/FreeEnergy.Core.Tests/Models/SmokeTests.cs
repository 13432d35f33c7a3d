using FreeEnergy.Core.Models;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests.Models;

public class SmokeTests
{
    [Fact]
    public void ForwardProducesTermsOfTheDocumentedShapes()
    {
        using var model = RateDistortionModel.CreateBuilder().WithInputShape(1, 28, 28).WithClasses(10).WithSamples(3).Build();
        using var scope = NewDisposeScope();
        using var terms = model.Forward(rand(5, 1, 28, 28), zeros(5, dtype: ScalarType.Int64));
        Assert.Equal([5L], terms.Rate.shape);
        Assert.Equal([3L, 5L], terms.Distortion.shape);
        Assert.Equal([3L, 5L], terms.Classification.shape);
    }
}
