namespace PageTableModel.Hardware;

/// <summary>A successful translation of one virtual address.</summary>
/// <param name="Pa">The physical address of the byte at the virtual address: the leaf's base plus the offset.</param>
/// <param name="PageSize">The size in bytes of the leaf that translated it (0x1000, 0x20_0000, 0x4000_0000, ...).</param>
/// <param name="Memory">The memory type the hardware gives the access, in the model's coarse terms.</param>
/// <remarks>
/// The three properties below say what the leaf holds beyond the address; a walker that has nothing to report for
/// one leaves it <see langword="null"/>. Two translations are equal only if all six agree.
/// </remarks>
public readonly record struct Translation(ulong Pa, ulong PageSize, MemoryType Memory)
{
    /// <summary>A translation that also names the memory type and reports the leaf's accessed and dirty state.</summary>
    /// <param name="pa">The physical address of the accessed byte.</param>
    /// <param name="pageSize">The size of the leaf.</param>
    /// <param name="memory">The coarse memory type.</param>
    /// <param name="memoryName">The memory type as the architecture manual names it.</param>
    /// <param name="accessed">The leaf's accessed state, or <see langword="null"/> if the format has none.</param>
    /// <param name="dirty">The leaf's dirty state, or <see langword="null"/> if the walker does not model one.</param>
    public Translation(ulong pa, ulong pageSize, MemoryType memory, string? memoryName, bool? accessed, bool? dirty)
        : this(pa, pageSize, memory)
    {
        MemoryName = memoryName;
        Accessed = accessed;
        Dirty = dirty;
    }

    /// <summary>
    /// The memory type in the manual's own words: x86 <c>WB</c>, <c>WT</c>, <c>UC-</c>, <c>UC</c>, <c>WC</c>,
    /// <c>WP</c> (the IA32_PAT entry the leaf selects); AArch64 <c>Device-nGnRE</c> and the like, or
    /// <c>Normal, Inner …, Outer …, … Shareable</c> (the MAIR_EL1 attribute the leaf selects, with the shareability the
    /// access gets); LoongArch <c>SUC</c>, <c>CC</c>, <c>WUC</c> (MAT). <see langword="null"/> where the page table does
    /// not choose (RISC-V without Svpbmt).
    /// </summary>
    public string? MemoryName { get; init; }

    /// <summary>
    /// The leaf's accessed flag as the walk found it (x86 A, AArch64 AF, RISC-V A); <see langword="null"/> where the
    /// format has no accessed flag (LoongArch). Walkers that fault on a clear flag (AArch64 without FEAT_HAFDBS, RISC-V
    /// without Svadu) only ever report <see langword="true"/>.
    /// </summary>
    public bool? Accessed { get; init; }

    /// <summary>
    /// The leaf's dirty flag as the walk found it (x86 D, RISC-V D, LoongArch D); <see langword="null"/> where the
    /// walker models no dirty state (AArch64 without FEAT_HAFDBS, where DBM means nothing).
    /// </summary>
    public bool? Dirty { get; init; }

    /// <summary>Prints the translation with hexadecimal addresses.</summary>
    /// <returns>For example <c>pa 0x12345abc, 4K page, NormalCacheable (WB), A=1, D=0</c>.</returns>
    public override string ToString() =>
        AddressText
        + (MemoryName is null ? "" : $" ({MemoryName})")
        + (Accessed is null ? "" : $", A={(Accessed.Value ? 1 : 0)}")
        + (Dirty is null ? "" : $", D={(Dirty.Value ? 1 : 0)}");

    /// <summary>The address, page size and coarse memory type alone, for example <c>pa 0x5abc, 4K page, Device</c>.</summary>
    internal string AddressText => $"pa 0x{Pa:x}, {SizeName(PageSize)} page, {Memory}";

    private static string SizeName(ulong size) => size switch
    {
        0x1000 => "4K",
        0x20_0000 => "2M",
        0x4000_0000 => "1G",
        0x80_0000_0000 => "512G",
        _ => $"0x{size:x}-byte",
    };
}
