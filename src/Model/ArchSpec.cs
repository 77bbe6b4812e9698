namespace PageTableModel;

/// <summary>
/// What the model needs to know about one page-table format: its depth, its address widths and the
/// flags its entries can express. There is exactly one instance per format; compare them by reference.
/// </summary>
public sealed class ArchSpec
{
    private const ulong Size4K = 0x1000;
    private const ulong Size2M = 0x20_0000;
    private const ulong Size1G = 0x4000_0000;

    private readonly Func<ModelFlags, ModelFlags> _effective;

    private ArchSpec(string name, int levels, int vaBits, int paBits, Func<ModelFlags, ModelFlags> effective)
    {
        Name = name;
        Levels = levels;
        VaBits = vaBits;
        PaBits = paBits;
        _effective = effective;
    }

    /// <summary>x86_64, 4 levels: 48-bit VA, 52-bit PA. Read is implied where any access is granted; Device drops Uncached.</summary>
    public static readonly ArchSpec X64 = new(
        "X64", levels: 4, vaBits: 48, paBits: 52, f => DeviceDropsUncached(f | ModelFlags.Read));

    /// <summary>AArch64, 4 levels: 48-bit VA, 48-bit PA. Device drops Uncached.</summary>
    public static readonly ArchSpec A64 = new(
        "A64", levels: 4, vaBits: 48, paBits: 48, DeviceDropsUncached);

    /// <summary>RISC-V Sv39, 3 levels: 39-bit VA, 56-bit PA. Device and Uncached are dropped (no Svpbmt).</summary>
    public static readonly ArchSpec Sv39 = new(
        "Sv39", levels: 3, vaBits: 39, paBits: 56, WithoutMemoryType);

    /// <summary>RISC-V Sv48, 4 levels: 48-bit VA, 56-bit PA. Device and Uncached are dropped (no Svpbmt).</summary>
    public static readonly ArchSpec Sv48 = new(
        "Sv48", levels: 4, vaBits: 48, paBits: 56, WithoutMemoryType);

    /// <summary>LoongArch64, 4 levels: 48-bit VA, 48-bit PA. Device drops Uncached.</summary>
    public static readonly ArchSpec La64 = new(
        "La64", levels: 4, vaBits: 48, paBits: 48, DeviceDropsUncached);

    /// <summary>The five formats, in the order above.</summary>
    public static readonly IReadOnlyList<ArchSpec> All = [X64, A64, Sv39, Sv48, La64];

    /// <summary>The format's name, e.g. <c>Sv39</c>.</summary>
    public string Name { get; }

    /// <summary>The number of table levels: 4, or 3 for Sv39. Level 0 is the root.</summary>
    public int Levels { get; }

    /// <summary>The virtual address width V: 48, or 39 for Sv39.</summary>
    public int VaBits { get; }

    /// <summary>The physical address width P: a page of size S at pa is valid when pa + S &lt;= 2^P.</summary>
    public int PaBits { get; }

    /// <summary>The page sizes, smallest first: 4K, 2M and 1G (every format here has all three).</summary>
    public IReadOnlyList<ulong> PageSizes { get; } = [Size4K, Size2M, Size1G];

    /// <summary>The bytes one root entry covers: 512 GiB with 4 levels, 1 GiB with 3.</summary>
    public ulong RootSlotSpan => 1UL << RootShift;

    /// <summary>The bit where the root index starts: 12 + 9 * (Levels - 1).</summary>
    private int RootShift => 12 + 9 * (Levels - 1);

    /// <summary>
    /// Whether <paramref name="va"/> is canonical: bits 63..V-1 all equal. Stated here as the two intervals
    /// this gives, the low half [0, 2^(V-1)) and the high half [2^64 - 2^(V-1), 2^64).
    /// </summary>
    /// <param name="va">The virtual address.</param>
    /// <returns>True when canonical.</returns>
    public bool IsCanonical(ulong va)
    {
        ulong halfSize = 1UL << (VaBits - 1);
        bool inLowHalf = va < halfSize;
        bool inHighHalf = va >= 0UL - halfSize; // 0 - 2^(V-1) wraps to 2^64 - 2^(V-1)
        return inLowHalf || inHighHalf;
    }

    /// <summary>
    /// The flags a mapping made with <paramref name="flags"/> reports: what the format can express. A PROT_NONE mapping
    /// (no Read, Write or Execute) grants nothing on any format and reports exactly the flags given; x86's implied Read
    /// applies only to mappings that grant access.
    /// </summary>
    /// <param name="flags">The flags as given.</param>
    /// <returns>The effective flags.</returns>
    public ModelFlags Effective(ModelFlags flags) => flags.IsProtNone() ? flags : _effective(flags);

    /// <summary>The index of the root entry that covers <paramref name="va"/>: (va &gt;&gt; (12 + 9*(L-1))) &amp; 511.</summary>
    /// <param name="va">The virtual address.</param>
    /// <returns>0 to 511.</returns>
    public int RootSlot(ulong va) => (int)((va >> RootShift) & 511);

    /// <summary>Prints the name.</summary>
    /// <returns>The name.</returns>
    public override string ToString() => Name;

    private static ModelFlags DeviceDropsUncached(ModelFlags flags) =>
        flags.HasFlag(ModelFlags.Device) ? flags & ~ModelFlags.Uncached : flags;

    private static ModelFlags WithoutMemoryType(ModelFlags flags) =>
        flags & ~(ModelFlags.Device | ModelFlags.Uncached);
}
