using System.Buffers.Binary;
using System.Text;

namespace FreeEnergy.Core.Internal;

/// <summary>One symbol-version requirement of an ELF shared library (an entry of SHT_GNU_verneed).</summary>
/// <param name="Library">The library the version is needed from, for example <c>libstdc++.so.6</c>.</param>
/// <param name="Version">The version name, for example <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="Weak">Whether the requirement is marked weak (VER_FLG_WEAK), so the loader does not insist on it.</param>
internal readonly record struct ElfVersionNeed(string Library, string Version, bool Weak);

/// <summary>Reads the symbol-version requirements of a 64-bit little-endian ELF file.</summary>
internal static class ElfVersionNeeds
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    /// <summary>The version requirements of the file, or an empty list when it is not a 64-bit little-endian ELF file.</summary>
    public static IReadOnlyList<ElfVersionNeed> Read(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        return Read(data);
    }

    /// <summary>The version requirements in the ELF image <paramref name="d"/>.</summary>
    public static IReadOnlyList<ElfVersionNeed> Read(ReadOnlySpan<byte> d)
    {
        var result = new List<ElfVersionNeed>();
        if (d.Length < 64 || d[0] != 0x7f || d[1] != (byte)'E' || d[2] != (byte)'L' || d[3] != (byte)'F' || d[4] != 2 || d[5] != 1)
        {
            return result;
        }

        try
        {
            long sectionTable = BinaryPrimitives.ReadInt64LittleEndian(d[0x28..]);
            int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(d[0x3A..]);
            int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(d[0x3C..]);
            for (int i = 0; i < sectionCount; i++)
            {
                int header = checked((int)(sectionTable + ((long)i * entrySize)));
                if (BinaryPrimitives.ReadUInt32LittleEndian(d[(header + 4)..]) == ShtGnuVerneed)
                {
                    ReadVerneedSection(d, header, sectionTable, entrySize, result);
                }
            }
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or OverflowException or IndexOutOfRangeException)
        {
            // A malformed file: report what was read so far.
        }

        return result;
    }

    /// <summary>
    /// Adds the requirements of the SHT_GNU_verneed section whose header is at <paramref name="header"/>: a chain of
    /// Elf64_Verneed entries (one per library), each with its Elf64_Vernaux entries (one per version), whose names are
    /// in the string table of the section the header links to.
    /// </summary>
    private static void ReadVerneedSection(ReadOnlySpan<byte> d, int header, long sectionTable, int entrySize, List<ElfVersionNeed> result)
    {
        long offset = BinaryPrimitives.ReadInt64LittleEndian(d[(header + 24)..]);
        int linked = (int)BinaryPrimitives.ReadUInt32LittleEndian(d[(header + 40)..]);
        int needCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(d[(header + 44)..]);
        long strings = BinaryPrimitives.ReadInt64LittleEndian(d[checked((int)(sectionTable + ((long)linked * entrySize) + 24))..]);
        int need = checked((int)offset);
        for (int n = 0; n < needCount; n++)
        {
            ReadNeed(d, need, strings, result);
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(d[(need + 12)..]);
            if (next == 0)
            {
                break;
            }

            need = checked(need + (int)next);
        }
    }

    /// <summary>Adds the versions of the Elf64_Verneed entry at <paramref name="need"/> (one library).</summary>
    private static void ReadNeed(ReadOnlySpan<byte> d, int need, long strings, List<ElfVersionNeed> result)
    {
        int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(d[(need + 2)..]);
        string library = ReadString(d, checked((int)(strings + BinaryPrimitives.ReadUInt32LittleEndian(d[(need + 4)..]))));
        int aux = checked(need + (int)BinaryPrimitives.ReadUInt32LittleEndian(d[(need + 8)..]));
        for (int k = 0; k < auxCount; k++)
        {
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(d[(aux + 4)..]);
            string version = ReadString(d, checked((int)(strings + BinaryPrimitives.ReadUInt32LittleEndian(d[(aux + 8)..]))));
            result.Add(new ElfVersionNeed(library, version, (flags & VerFlagWeak) != 0));
            aux = checked(aux + (int)BinaryPrimitives.ReadUInt32LittleEndian(d[(aux + 12)..]));
        }
    }

    private static string ReadString(ReadOnlySpan<byte> d, int start)
    {
        int end = d[start..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? d[start..] : d.Slice(start, end));
    }
}
