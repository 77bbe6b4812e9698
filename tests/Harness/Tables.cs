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
        TableKind.X64 => ArchSpec.X86_64,
        TableKind.A64 => ArchSpec.AArch64,
        TableKind.Sv39 => ArchSpec.Sv39,
        TableKind.Sv48 => ArchSpec.Sv48,
        TableKind.La64 => ArchSpec.LoongArch64,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Creates Impl's table of <paramref name="kind"/> in <paramref name="arena"/>.</summary>
    public static IImplTable CreateImpl(TableKind kind, FrameArena arena) => kind switch
    {
        TableKind.X64 => ImplTable<X64PagingMetaData, X64Pte>.Create(arena),
        TableKind.A64 => ImplTable<A64PagingMetaData, A64Pte>.Create(arena),
        TableKind.Sv39 => ImplTable<Sv39MetaData, Rv64Pte>.Create(arena),
        TableKind.Sv48 => ImplTable<Sv48MetaData, Rv64Pte>.Create(arena),
        TableKind.La64 => ImplTable<LA64MetaData, LA64Pte>.Create(arena),
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
    public static string FlagText(MappingFlags f) => ImplFlagTexts[(byte)f];

    public static string FlagText(ModelFlags f) => ModelFlagTexts[(byte)f];

    // Both flag types are bytes: every text is made once, by the definitions below.
    private static readonly string[] ImplFlagTexts = Enumerable.Range(0, 256).Select(b => MakeFlagText((MappingFlags)b)).ToArray();
    private static readonly string[] ModelFlagTexts = Enumerable.Range(0, 256).Select(b => MakeFlagText((ModelFlags)b)).ToArray();

    private static string MakeFlagText(MappingFlags f) => PageOp.FlagsCode(f).Replace("MappingFlags.", "", StringComparison.Ordinal);

    private static string MakeFlagText(ModelFlags f)
    {
        var parts = new List<string>();
        if ((f & ModelFlags.Read) != 0) parts.Add("Read");
        if ((f & ModelFlags.Write) != 0) parts.Add("Write");
        if ((f & ModelFlags.Execute) != 0) parts.Add("Execute");
        if ((f & ModelFlags.User) != 0) parts.Add("User");
        if ((f & ModelFlags.Device) != 0) parts.Add("Device");
        if ((f & ModelFlags.Uncached) != 0) parts.Add("Uncached");
        return parts.Count == 0 ? "None" : string.Join(" | ", parts);
    }

    /// <summary>
    /// A number for flags on either side, equal for two flag values exactly when their <see cref="FlagText(MappingFlags)"/>
    /// and <see cref="FlagText(ModelFlags)"/> are equal: the six named flags one at a time (Read 1, Write 2, Execute 4,
    /// User 8, Device 16, Uncached 32); Impl flags with an undefined bit (printed as a raw number, never equal to a
    /// model text) get 0x100 plus their raw value. State comparison uses it so that no text is made per leaf.
    /// </summary>
    public static int FlagCode(MappingFlags f) => ImplFlagCodes[(byte)f];

    /// <inheritdoc cref="FlagCode(MappingFlags)"/>
    public static int FlagCode(ModelFlags f) => ModelFlagCodes[(byte)f];

    private static readonly int[] ImplFlagCodes = Enumerable.Range(0, 256).Select(b => MakeFlagCode((MappingFlags)b)).ToArray();
    private static readonly int[] ModelFlagCodes = Enumerable.Range(0, 256).Select(b => MakeFlagCode((ModelFlags)b)).ToArray();

    private static int MakeFlagCode(MappingFlags f) =>
        (f & ~MappingFlags.All) != 0 ? 0x100 | (byte)f : MakeFlagCode(ToModel(f));

    private static int MakeFlagCode(ModelFlags f)
    {
        int code = 0; // like its text, other bits are not shown
        if ((f & ModelFlags.Read) != 0) code |= 1;
        if ((f & ModelFlags.Write) != 0) code |= 2;
        if ((f & ModelFlags.Execute) != 0) code |= 4;
        if ((f & ModelFlags.User) != 0) code |= 8;
        if ((f & ModelFlags.Device) != 0) code |= 16;
        if ((f & ModelFlags.Uncached) != 0) code |= 32;
        return code;
    }

    public static string SizeText(ulong size) => size switch
    {
        0x1000 => "4K",
        0x20_0000 => "2M",
        0x4000_0000 => "1G",
        _ => "0x" + size.ToString("x", System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>A leaf mapping as seen by either side, in one comparable form.</summary>
public readonly record struct Leaf(ulong Va, ulong Pa, ulong Size, string Flags)
{
    public override string ToString() => $"[0x{Va:x} -> 0x{Pa:x} {Tables.SizeText(Size)} {Flags}]";
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
