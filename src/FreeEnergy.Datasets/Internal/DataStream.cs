using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace FreeEnergy.Datasets.Internal;

/// <summary>
/// The bytes of one dataset file (or embedded resource), raw or gzip-compressed. Compression is detected by
/// gzip's magic bytes 1F 8B, never by the name. Every read failure of the gzip layer becomes an
/// <see cref="InvalidDataException"/> that names the file.
/// </summary>
internal sealed class DataStream : IDisposable
{
    private const int InitialBuffer = 1 << 20;
    private const long MaxDeflateRatio = 1032;
    private readonly Stream source;
    private readonly Stream reader;
    private readonly uint trailerLength;
    private long consumed;

    private DataStream(Stream source, string name)
    {
        this.source = source;
        Name = name;
        Span<byte> magic = stackalloc byte[2];
        int read = source.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        source.Seek(0, SeekOrigin.Begin);
        IsGzip = read == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        if (IsGzip && source.Length >= 4)
        {
            // ISIZE, the last field of a gzip member: the decompressed length modulo 2^32.
            Span<byte> trailer = stackalloc byte[4];
            source.Seek(-4, SeekOrigin.End);
            source.ReadExactly(trailer);
            source.Seek(0, SeekOrigin.Begin);
            trailerLength = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        }

        reader = IsGzip ? new GZipStream(source, CompressionMode.Decompress, leaveOpen: true) : source;
        RawLength = IsGzip ? null : source.Length;
    }

    /// <summary>The file name used in messages.</summary>
    public string Name { get; }

    /// <summary>Whether the bytes are gzip-compressed.</summary>
    public bool IsGzip { get; }

    /// <summary>The total length in bytes when it is known before reading (uncompressed data only).</summary>
    public long? RawLength { get; }

    /// <summary>" after decompression" for gzip data, empty otherwise: for messages about lengths.</summary>
    public string LengthQualifier => IsGzip ? " after decompression" : string.Empty;

    /// <summary>Opens a file for reading.</summary>
    public static DataStream OpenFile(string path) =>
        Open(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), path);

    /// <summary>Wraps a seekable stream (taking ownership of it).</summary>
    public static DataStream Open(Stream stream, string name)
    {
        try
        {
            return new DataStream(stream, name);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads exactly <paramref name="header"/>.Length bytes, or throws an error that says the file ends inside <paramref name="what"/>.</summary>
    public void ReadHeader(Span<byte> header, string what)
    {
        long start = consumed;
        int read = ReadAtMost(header);
        if (read < header.Length)
        {
            throw Invalid(start + read == 0
                ? $"the file is empty{LengthQualifier}; it should start with {what}"
                : $"the file is truncated: it ends after {start + read} byte(s){LengthQualifier}, inside {what}");
        }
    }

    /// <summary>
    /// Reads the rest of the data, which must be exactly <paramref name="expected"/> bytes long
    /// (<paramref name="layout"/> says why, for messages). Memory grows only as data arrives, so a corrupt
    /// header cannot make it allocate more than the data really holds.
    /// </summary>
    public byte[] ReadPayload(long expected, string layout)
    {
        long total = consumed + expected;
        if (expected > Array.MaxLength)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture, $"{layout} need {total:N0} bytes, more than this reader can hold in one array ({Array.MaxLength:N0}); the header is corrupt or the file is too large"));
        }

        if (RawLength is long length && length != total)
        {
            throw LengthMismatch(length, total, layout);
        }

        byte[] data = ReadGrowing(expected);
        if (data.Length < expected)
        {
            throw LengthMismatch(consumed, total, layout);
        }

        Span<byte> probe = stackalloc byte[1];
        if (ReadAtMost(probe) > 0)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture, $"the file is longer than {layout} allow: there is data after byte {total:N0}{LengthQualifier}"));
        }

        CheckGzipTrailer();
        return data;
    }

    /// <summary>Reads everything that is left, at most <paramref name="limit"/> bytes (more is an error).</summary>
    public byte[] ReadToEnd(long limit)
    {
        if (RawLength is long length && length - consumed > limit)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture, $"the file holds {length:N0} bytes, more than this reader can hold in one array ({limit:N0})"));
        }

        byte[] data = ReadGrowing(limit);
        Span<byte> probe = stackalloc byte[1];
        if (data.Length == limit && ReadAtMost(probe) > 0)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture, $"the file holds more than {limit:N0} bytes{LengthQualifier}, more than this reader can hold in one array"));
        }

        CheckGzipTrailer();
        return data;
    }

    /// <summary>An <see cref="InvalidDataException"/> whose message starts with the file's name.</summary>
    public InvalidDataException Invalid(string problem, Exception? inner = null) =>
        new($"'{Name}': {problem}{(problem.EndsWith('?') ? string.Empty : ".")}", inner);

    /// <inheritdoc />
    public void Dispose()
    {
        if (!ReferenceEquals(reader, source))
        {
            reader.Dispose();
        }

        source.Dispose();
    }

    private InvalidDataException LengthMismatch(long actual, long expected, string layout) =>
        Invalid(actual < expected
            ? string.Create(CultureInfo.InvariantCulture, $"the file is truncated: it holds {actual:N0} bytes{LengthQualifier} but {layout} need {expected:N0}")
            : string.Create(CultureInfo.InvariantCulture, $"the file holds {actual:N0} bytes{LengthQualifier} but {layout} need exactly {expected:N0}; {actual - expected:N0} byte(s) are left over"));

    /// <summary>
    /// .NET's GZipStream verifies the CRC and length in a gzip trailer that is there, but silently accepts a
    /// file that ends before its trailer, or has bytes after it. The last four bytes of a complete
    /// single-member gzip file are the decompressed length modulo 2^32; check them.
    /// </summary>
    private void CheckGzipTrailer()
    {
        if (IsGzip && trailerLength != unchecked((uint)consumed))
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture,
                $"the gzip data is truncated or has extra bytes after it: its last four bytes should record the decompressed length {consumed:N0} (modulo 2^32) but read {trailerLength:N0} (files made of several concatenated gzip members are not supported)"));
        }
    }

    private byte[] ReadGrowing(long limit)
    {
        long initial = RawLength is long length
            ? Math.Max(0, length - consumed)
            : Math.Max(InitialBuffer, Math.Min(trailerLength - consumed, MaxDeflateRatio * source.Length));
        byte[] buffer = new byte[(int)Math.Min(limit, initial)];
        int filled = 0;
        while (true)
        {
            filled += ReadAtMost(buffer.AsSpan(filled));
            if (filled < buffer.Length || buffer.Length == limit)
            {
                break;
            }

            Array.Resize(ref buffer, (int)Math.Min(limit, Math.Max(buffer.Length * 2L, InitialBuffer)));
        }

        if (filled < buffer.Length)
        {
            Array.Resize(ref buffer, filled);
        }

        return buffer;
    }

    private int ReadAtMost(Span<byte> buffer)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int read = reader.Read(buffer[total..]);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (InvalidDataException ex) when (IsGzip)
        {
            throw Invalid("the gzip data is corrupt: its compressed blocks, checksum or length field are invalid", ex);
        }

        consumed += total;
        return total;
    }
}
