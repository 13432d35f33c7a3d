using System.Buffers.Binary;
using System.Globalization;

namespace FreeEnergy.Datasets.Internal;

/// <summary>
/// Reads IDX files (the format of MNIST, Fashion-MNIST and KMNIST): a big-endian 32-bit magic number
/// 0x0000TTDD (TT the element type, DD the number of dimensions), DD big-endian 32-bit sizes, then the
/// elements in row-major order. Only unsigned bytes (TT = 0x08) are supported: image files are
/// 0x00000803 (count, rows, columns) and label files 0x00000801 (count).
/// </summary>
internal static class IdxFormat
{
    public const int ImageMagic = 0x00000803;
    public const int LabelMagic = 0x00000801;

    public static IdxImages ReadImages(DataStream stream)
    {
        ReadMagic(stream, ImageMagic, "image");
        Span<byte> sizes = stackalloc byte[12];
        stream.ReadHeader(sizes, "the 16-byte header of an IDX image file");
        uint count = BinaryPrimitives.ReadUInt32BigEndian(sizes);
        uint rows = BinaryPrimitives.ReadUInt32BigEndian(sizes[4..]);
        uint columns = BinaryPrimitives.ReadUInt32BigEndian(sizes[8..]);
        if (count == 0)
        {
            throw stream.Invalid("the header declares 0 images; a dataset needs at least one");
        }

        if (rows == 0 || columns == 0)
        {
            throw stream.Invalid(Format($"the header declares images of {rows} × {columns} pixels; both sizes must be at least 1"));
        }

        string layout = Format($"a 16-byte header and {count:N0} images of {rows} × {columns} bytes (as the header declares)");
        if (count > int.MaxValue || (long)rows * columns > Array.MaxLength)
        {
            throw stream.Invalid(Format($"{layout} are more than this reader can hold in one array; the header is corrupt or the file is too large"));
        }

        byte[] pixels = stream.ReadPayload((long)count * rows * columns, layout);
        return new IdxImages(stream.Name, (int)count, (int)rows, (int)columns, pixels);
    }

    public static IdxLabels ReadLabels(DataStream stream)
    {
        ReadMagic(stream, LabelMagic, "label");
        Span<byte> sizes = stackalloc byte[4];
        stream.ReadHeader(sizes, "the 8-byte header of an IDX label file");
        uint count = BinaryPrimitives.ReadUInt32BigEndian(sizes);
        if (count == 0)
        {
            throw stream.Invalid("the header declares 0 labels; a dataset needs at least one");
        }

        return new IdxLabels(stream.Name, stream.ReadPayload(count, Format($"an 8-byte header and {count:N0} one-byte labels (as the header declares)")));
    }

    private static void ReadMagic(DataStream stream, int expected, string kind)
    {
        Span<byte> bytes = stackalloc byte[4];
        stream.ReadHeader(bytes, Format($"the 4-byte magic number of an IDX {kind} file (0x{expected:X8})"));
        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic == expected)
        {
            return;
        }

        int type = (magic >> 8) & 0xFF;
        int dimensions = magic & 0xFF;
        string problem;
        if ((magic & unchecked((int)0xFFFF0000)) != 0)
        {
            problem = Format($"wrong magic number 0x{magic:X8}: this is not an IDX file (an IDX {kind} file starts with 0x{expected:X8})");
        }
        else if (type != 0x08)
        {
            problem = Format($"wrong magic number 0x{magic:X8}: element type 0x{type:X2} ({TypeName(type)}) is not supported; only unsigned bytes (0x08) are (an IDX {kind} file starts with 0x{expected:X8})");
        }
        else if (magic == ImageMagic || magic == LabelMagic)
        {
            string other = magic == ImageMagic ? "image" : "label";
            problem = Format($"wrong magic number 0x{magic:X8}: this is an IDX {other} file where an IDX {kind} file (0x{expected:X8}) was expected; are the image and label files swapped?");
        }
        else
        {
            problem = Format($"wrong magic number 0x{magic:X8}: {dimensions} dimension(s), but an IDX {kind} file has {expected & 0xFF} (magic 0x{expected:X8})");
        }

        throw stream.Invalid(problem);
    }

    private static string TypeName(int type) => type switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "not an IDX type",
    };

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
