namespace PageTableModel.Hardware;

/// <summary>
/// Architecture-neutral arithmetic the walkers share: argument checks, address bit fields and reading one entry.
/// Nothing here knows a descriptor format; every format's bits live in its own walker.
/// </summary>
internal static class WalkSupport
{
    /// <summary>The size of the smallest page and of every table on these architectures: 4 KiB.</summary>
    public const int PageShift = 12;

    /// <summary>Each table holds 512 eight-byte entries, so a level consumes 9 bits of the address.</summary>
    public const int IndexBits = 9;

    /// <summary>A mask of bits <paramref name="high"/> down to <paramref name="low"/>, inclusive.</summary>
    public static ulong Mask(int high, int low) =>
        (high >= 63 ? ulong.MaxValue : (1UL << (high + 1)) - 1) & ~((1UL << low) - 1);

    /// <summary>Whether bit <paramref name="bit"/> of <paramref name="value"/> is 1.</summary>
    public static bool Bit(ulong value, int bit) => ((value >> bit) & 1) != 0;

    /// <summary>
    /// Whether bits 63 down to <paramref name="topBit"/> of <paramref name="va"/> are all equal, that is, whether
    /// the address is the sign extension of its low <paramref name="topBit"/> + 1 bits.
    /// </summary>
    public static bool IsSignExtended(ulong va, int topBit)
    {
        int unused = 63 - topBit;
        return ((long)va << unused) >> unused == (long)va;
    }

    /// <summary>The 9-bit table index that address bits <paramref name="lowBit"/> + 8 .. <paramref name="lowBit"/> select.</summary>
    public static ulong TableIndex(ulong va, int lowBit) => (va >> lowBit) & ((1UL << IndexBits) - 1);

    /// <summary>Rejects a root the caller should never pass: unaligned, or beyond the physical address width.</summary>
    public static void CheckArguments(IPhysicalMemory memory, ulong root, int physicalAddressBits, Access access, Privilege privilege)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if ((root & ((1UL << PageShift) - 1)) != 0 || (root >> physicalAddressBits) != 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(root), $"0x{root:x} is not a 4 KiB-aligned physical address below 2^{physicalAddressBits}.");
        }

        if (!Enum.IsDefined(access))
        {
            throw new ArgumentOutOfRangeException(nameof(access));
        }

        if (!Enum.IsDefined(privilege))
        {
            throw new ArgumentOutOfRangeException(nameof(privilege));
        }
    }

    /// <summary>The fault for an entry whose memory does not answer.</summary>
    public static WalkResult BusError(int level, ulong table, ulong index, string what) =>
        WalkResult.Faulted(level, $"{what}: no memory at 0x{table + index * 8:x}");
}
