namespace PageTableMultiarch.Harness;

/// <summary>
/// The interesting places of one table type's address spaces, written down independently of Impl and Model:
/// both ends of both canonical halves, the middle, a root-slot edge, the first non-canonical address, and the
/// top of the physical range.
/// </summary>
public sealed record AddressSpace(int VaBits, int PaBits, int Levels)
{
    public const ulong G1 = 0x4000_0000, M2 = 0x20_0000, K4 = 0x1000;

    public static AddressSpace For(TableKind kind) => kind switch
    {
        TableKind.X64 => new AddressSpace(48, 52, 4),
        TableKind.A64 => new AddressSpace(48, 48, 4),
        TableKind.Sv39 => new AddressSpace(39, 56, 3),
        TableKind.Sv48 => new AddressSpace(48, 56, 4),
        TableKind.La64 => new AddressSpace(48, 48, 4),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public ulong Low => 0;

    public ulong Mid => 1UL << (VaBits - 2);

    /// <summary>Two GiB below the end of the low half.</summary>
    public ulong LowTop => (1UL << (VaBits - 1)) - 2 * G1;

    /// <summary>The first address of the high half.</summary>
    public ulong HighBottom => unchecked(0UL - (1UL << (VaBits - 1)));

    /// <summary>Two GiB below 2^64.</summary>
    public ulong HighTop => unchecked(0UL - 2 * G1);

    /// <summary>The first non-canonical address above the low half.</summary>
    public ulong NonCanonical => 1UL << (VaBits - 1);

    /// <summary>Two GiB below the boundary between root slots 0 and 1 (4 levels); on Sv39 every 1G is a slot, so 4 GiB.</summary>
    public ulong SlotEdge => Levels == 3 ? 4 * G1 : (1UL << 39) - 2 * G1;

    /// <summary>2^PaBits: the first physical address beyond the width.</summary>
    public ulong PaLimit => 1UL << PaBits;
}
