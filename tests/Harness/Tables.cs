using PageTableModel;

namespace PageTableMultiarch.Harness;

/// <summary>The five ready table types.</summary>
public enum TableKind { X64, A64, Sv39, Sv48, La64 }

/// <summary>Per-table facts the harness needs; each side gets them from its own code.</summary>
public static class Tables
{
    public static readonly TableKind[] All = [TableKind.X64, TableKind.A64, TableKind.Sv39, TableKind.Sv48, TableKind.La64];

    public static readonly PageSize[] PageSizes = [PageSize.Size4K, PageSize.Size2M, PageSize.Size1G];

    /// <summary>The model's description of <paramref name="kind"/>.</summary>
    public static ArchSpec ModelArch(TableKind kind) => kind switch
    {
        TableKind.X64 => ArchSpec.X64,
        TableKind.A64 => ArchSpec.A64,
        TableKind.Sv39 => ArchSpec.Sv39,
        TableKind.Sv48 => ArchSpec.Sv48,
        TableKind.La64 => ArchSpec.La64,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Creates Impl's table of <paramref name="kind"/> in <paramref name="arena"/>.</summary>
    public static IImplTable CreateImpl(TableKind kind, FrameArena arena) => kind switch
    {
        TableKind.X64 => ImplTable<X64PagingMetaData, X64Pte>.Create(arena),
        TableKind.A64 => ImplTable<A64PagingMetaData, A64Pte>.Create(arena),
        TableKind.Sv39 => ImplTable<Sv39PagingMetaData, RiscVPte>.Create(arena),
        TableKind.Sv48 => ImplTable<Sv48PagingMetaData, RiscVPte>.Create(arena),
        TableKind.La64 => ImplTable<La64PagingMetaData, La64Pte>.Create(arena),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Converts Impl flags to model flags one named flag at a time (no shared numeric values).</summary>
    public static ModelFlags ToModel(MappingFlags f)
    {
        ModelFlags m = ModelFlags.None;
        if ((f & MappingFlags.Read) != 0) m |= ModelFlags.Read;
        if ((f & MappingFlags.Write) != 0) m |= ModelFlags.Write;
        if ((f & MappingFlags.Execute) != 0) m |= ModelFlags.Execute;
        if ((f & MappingFlags.User) != 0) m |= ModelFlags.User;
        if ((f & MappingFlags.Device) != 0) m |= ModelFlags.Device;
        if ((f & MappingFlags.Uncached) != 0) m |= ModelFlags.Uncached;
        if ((f & ~MappingFlags.All) != 0) m |= (ModelFlags)0x40; // an undefined bit stays undefined
        return m;
    }

    /// <summary>A canonical text for flags on either side (names, in a fixed order).</summary>
    public static string FlagText(MappingFlags f) => PageOp.FlagsCode(f).Replace("MappingFlags.", "", StringComparison.Ordinal);

    public static string FlagText(ModelFlags f)
    {
        var parts = new List<string>();
        if ((f & ModelFlags.Read) != 0) parts.Add("Read");
        if ((f & ModelFlags.Write) != 0) parts.Add("Write");
        if ((f & ModelFlags.Execute) != 0) parts.Add("Execute");
        if ((f & ModelFlags.User) != 0) parts.Add("User");
        if ((f & ModelFlags.Device) != 0) parts.Add("Device");
        if ((f & ModelFlags.Uncached) != 0) parts.Add("Uncached");
        if (((byte)f & 0xc0) != 0) parts.Add($"0x{(byte)f & 0xc0:x2}"); // an undefined bit, from Tables.ToModel
        return parts.Count == 0 ? "None" : string.Join(" | ", parts);
    }

    public static string SizeText(ulong size) => size switch
    {
        0x1000 => "4K",
        0x20_0000 => "2M",
        0x4000_0000 => "1G",
        _ => "0x" + size.ToString("x", System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>A leaf mapping as seen by either side, in one comparable form (Impl's flags converted by <see cref="Tables.ToModel"/>).</summary>
public readonly record struct Leaf(ulong Va, ulong Pa, ulong Size, ModelFlags Flags)
{
    public override string ToString() => $"[0x{Va:x} -> 0x{Pa:x} {Tables.SizeText(Size)} {Tables.FlagText(Flags)}]";
}

/// <summary>The result of one operation, in one comparable form (error name, or the values).</summary>
public readonly record struct Outcome(string? Error, ulong Pa = 0, ulong Size = 0, string? Flags = null)
{
    public static Outcome Fail(string error) => new(error);

    public static readonly Outcome Ok = new((string?)null);

    public bool IsOk => Error is null;

    public override string ToString()
    {
        if (Error is not null) return $"Err({Error})";
        var parts = new List<string>();
        if (Pa != 0 || Flags is not null) parts.Add($"pa=0x{Pa:x}");
        if (Size != 0) parts.Add($"size={Tables.SizeText(Size)}");
        if (Flags is not null) parts.Add($"flags={Flags}");
        return parts.Count == 0 ? "Ok" : $"Ok({string.Join(", ", parts)})";
    }
}
