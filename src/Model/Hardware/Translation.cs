namespace PageTableModel.Hardware;

/// <summary>A successful translation of one virtual address.</summary>
/// <param name="Pa">The physical address of the byte at the virtual address: the leaf's base plus the offset.</param>
/// <param name="PageSize">The size in bytes of the leaf that translated it (0x1000, 0x20_0000, 0x4000_0000, ...).</param>
/// <param name="Memory">The memory type the hardware gives the access.</param>
public readonly record struct Translation(ulong Pa, ulong PageSize, MemoryType Memory)
{
    /// <summary>Prints the translation with hexadecimal addresses.</summary>
    /// <returns>For example <c>pa 0x12345abc, 4K page, NormalCacheable</c>.</returns>
    public override string ToString() => $"pa 0x{Pa:x}, {SizeName(PageSize)} page, {Memory}";

    private static string SizeName(ulong size) => size switch
    {
        0x1000 => "4K",
        0x20_0000 => "2M",
        0x4000_0000 => "1G",
        0x80_0000_0000 => "512G",
        _ => $"0x{size:x}-byte",
    };
}
