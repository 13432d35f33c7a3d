using FreeEnergy.Datasets.Internal;

namespace FreeEnergy.Datasets.Tests;

public sealed class PixelConversionTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(256)]
    [InlineData(16 * 7 + 3)]
    public void VectorisedConversionEqualsScalarDivisionBy255(int length)
    {
        byte[] source = Enumerable.Range(0, length).Select(i => (byte)(i * 37 + 11)).ToArray();
        if (length >= 256)
        {
            source = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        }

        float[] destination = new float[length + 1];
        destination[^1] = -1;
        PixelConversion.Convert(source, destination);

        Assert.Equal(source.Select(b => b / 255f), destination[..length]);
        Assert.Equal(-1, destination[^1]);
    }
}
