using System.Globalization;

namespace FreeEnergy.Datasets.Internal;

/// <summary>
/// Reads CIFAR-10 binary batches: records of 1 label byte (0–9) followed by 3,072 pixel bytes, the red,
/// green and blue 32 × 32 planes in row-major order. An official batch holds 10,000 records; any whole,
/// non-zero number of records is accepted.
/// </summary>
internal static class CifarFormat
{
    public const int Channels = 3;
    public const int Side = 32;
    public const int PixelsPerImage = Channels * Side * Side;
    public const int RecordSize = 1 + PixelsPerImage;
    public const int ClassCount = 10;

    public static CifarBatch ReadBatch(DataStream stream)
    {
        long limit = Array.MaxLength / RecordSize * (long)RecordSize;
        byte[] records = stream.ReadToEnd(limit);
        if (records.Length == 0)
        {
            throw stream.Invalid($"the file is empty{stream.LengthQualifier}; a CIFAR-10 batch holds records of {RecordSize:N0} bytes");
        }

        if (records.Length % RecordSize != 0)
        {
            string hint = records.Length % (RecordSize + 1) == 0
                ? " It looks like CIFAR-100 (3,074-byte records with two label bytes), which is not supported."
                : " The file is truncated or is not a CIFAR-10 binary batch.";
            throw stream.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"the file holds {records.Length:N0} bytes{stream.LengthQualifier}, not a whole number of {RecordSize:N0}-byte records (1 label byte + 3 × 32 × 32 pixel bytes; an official batch holds 10,000 records = 30,730,000 bytes).{hint}").TrimEnd('.'));
        }

        int count = records.Length / RecordSize;
        for (int i = 0; i < count; i++)
        {
            byte label = records[i * RecordSize];
            if (label >= ClassCount)
            {
                throw stream.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"record {i} (at byte {(long)i * RecordSize:N0}) has label {label}; CIFAR-10 labels are 0–9, so the file is corrupt or not a CIFAR-10 batch"));
            }
        }

        return new CifarBatch(stream.Name, count, records);
    }
}
