using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Datasets.Tests;

/// <summary>
/// Mutates random bytes of small valid files many times (seeded) and checks that loading either succeeds or
/// throws <see cref="InvalidDataException"/> naming the file: never another exception, never a leaked tensor.
/// </summary>
public sealed class MutationTests
{
    private const int Mutations = 300;

    [Fact]
    public void RandomByteMutationsOnlyEverGiveInvalidDataException()
    {
        using var dir = new TempDirectory();
        byte[] images = TestFiles.IdxImages(TestFiles.Pixels(6, 28, 28, 1), 6, 28, 28);
        byte[] labels = TestFiles.IdxLabels(TestFiles.Labels(6));
        byte[] cifar = TestFiles.CifarRecords([1, 2, 3], TestFiles.Pixels(3, 96, 32, 2));
        string goodImages = dir.Write("good-images", images);
        string goodLabels = dir.Write("good-labels.gz", TestFiles.Gzip(labels));
        var originals = new (byte[] Bytes, Func<string, IDisposable> Load)[]
        {
            (images, p => IdxDataset.Load(p, goodLabels)),
            (TestFiles.Gzip(images), p => IdxDataset.Load(p, goodLabels)),
            (labels, p => IdxDataset.Load(goodImages, p)),
            (TestFiles.Gzip(labels), p => IdxDataset.Load(goodImages, p)),
            (cifar, p => Cifar10.LoadBatches([p])),
            (TestFiles.Gzip(cifar), p => Cifar10.LoadBatches([p])),
        };

        var random = new Random(20240603);
        long liveBefore = FreeEnergyRuntime.LiveTensorCount;
        int loaded = 0;
        int rejected = 0;
        string path = dir.File("mutant");
        for (int m = 0; m < Mutations; m++)
        {
            var (original, load) = originals[m % originals.Length];
            byte[] mutant = Mutate(original, random);
            File.WriteAllBytes(path, mutant);
            try
            {
                using var data = load(path);
                loaded++;
            }
            catch (InvalidDataException ex)
            {
                Assert.Contains(path, ex.Message, StringComparison.Ordinal);
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"Mutation {m} of original {m % originals.Length} threw {ex.GetType().Name}: {ex.Message}");
            }
        }

        Assert.Equal(Mutations, loaded + rejected);
        Assert.True(rejected > Mutations / 4, $"only {rejected} of {Mutations} mutants were rejected");
        Assert.Equal(liveBefore, FreeEnergyRuntime.LiveTensorCount);
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        byte[] bytes = (byte[])original.Clone();
        switch (random.Next(6))
        {
            case 0:
                // Truncate anywhere.
                return bytes[..random.Next(bytes.Length)];
            case 1:
                // Append junk.
                byte[] extra = new byte[random.Next(1, 8)];
                random.NextBytes(extra);
                return [.. bytes, .. extra];
            case 2:
                // Hit the header (where the structure lives).
                int header = Math.Min(bytes.Length, 24);
                for (int i = random.Next(1, 4); i > 0; i--)
                {
                    bytes[random.Next(header)] = (byte)random.Next(256);
                }

                return bytes;
            default:
                for (int i = random.Next(1, 6); i > 0; i--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
        }
    }
}
