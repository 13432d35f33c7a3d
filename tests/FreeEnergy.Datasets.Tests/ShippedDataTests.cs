using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace FreeEnergy.Datasets.Tests;

public sealed class ShippedDataTests
{
    [Fact]
    public void ShippedTestSplitHas10000ImagesAnd1000PerClass()
    {
        using var data = FashionMnist.LoadShippedTestSplit();

        Assert.Equal(FashionMnist.TestSplitCount, data.Count);
        Assert.Equal(new[] { 1, 28, 28 }, data.InputShape);
        Assert.Equal(10, data.ClassCount);
        Assert.Equal(Enumerable.Repeat(1000L, 10), data.ClassCounts());
        Assert.Equal(9, data.Labels[0].item<long>()); // the first official test image is an ankle boot
        Assert.Equal(0f, data.Inputs.min().item<float>());
        Assert.Equal(1f, data.Inputs.max().item<float>());
        Assert.Equal(10, FashionMnist.ClassNames.Count);
    }

    [Fact]
    public void EmbeddedFilesMatchTheRepositoryCopyAndItsProvenanceChecksums()
    {
        string dataDirectory = Path.Combine(TestRepository.Root, "data", "fashion-mnist");
        string provenance = File.ReadAllText(Path.Combine(dataDirectory, "PROVENANCE.md"));
        foreach (var (name, images) in new[] { ("t10k-images-idx3-ubyte.gz", true), ("t10k-labels-idx1-ubyte.gz", false) })
        {
            string onDisk = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dataDirectory, name))));
            using var resource = FashionMnist.OpenShippedFile(images);
            string embedded = Convert.ToHexStringLower(SHA256.HashData(resource));
            Assert.Equal(onDisk, embedded);
            Assert.Matches(ChecksumLine(onDisk, name), provenance);
        }
    }

    private static Regex ChecksumLine(string sha256, string name) => new($"{sha256}\\s+{Regex.Escape(name)}");
}
