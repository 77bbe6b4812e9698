namespace PageTableMultiarch.Mutation;

/// <summary>
/// A hand-made fault in an entry format, as two bit transforms: <see cref="Encode"/> turns the bits the correct
/// format would write into the bits the faulty one writes; <see cref="Decode"/> turns stored bits into what the
/// faulty reader believes. A fault made "the same way in encode and decode" round-trips (only the hardware walker
/// can see it); an encode-only fault also misleads Impl's own queries.
/// </summary>
public interface IPteFault<TInner> where TInner : unmanaged, IGenericPte<TInner>
{
    static abstract string Description { get; }

    static abstract TInner FromBits(ulong bits);

    static abstract ulong Encode(ulong correct);

    static abstract ulong Decode(ulong stored);

    /// <summary>When true the faulty reader never recognises a huge page.</summary>
    static virtual bool IgnoreHuge => false;
}

/// <summary>An entry of format <typeparamref name="TInner"/> with the fault <typeparamref name="TFault"/> built in.</summary>
public struct FaultyPte<TInner, TFault> : IGenericPte<FaultyPte<TInner, TFault>>
    where TInner : unmanaged, IGenericPte<TInner>
    where TFault : struct, IPteFault<TInner>
{
    private ulong _stored;

    private readonly TInner View => TFault.FromBits(TFault.Decode(_stored));

    private static FaultyPte<TInner, TFault> Store(TInner correct) => new() { _stored = TFault.Encode(correct.Bits) };

    public static FaultyPte<TInner, TFault> NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) => Store(TInner.NewPage(paddr, flags, isHuge));

    public static FaultyPte<TInner, TFault> NewTable(PhysAddr paddr) => Store(TInner.NewTable(paddr));

    public static FaultyPte<TInner, TFault> Empty => default;

    public readonly PhysAddr Paddr => View.Paddr;

    public readonly MappingFlags Flags => View.Flags;

    public void SetPaddr(PhysAddr paddr)
    {
        var v = View;
        v.SetPaddr(paddr);
        _stored = TFault.Encode(v.Bits);
    }

    public void SetFlags(MappingFlags flags, bool isHuge)
    {
        var v = View;
        v.SetFlags(flags, isHuge);
        _stored = TFault.Encode(v.Bits);
    }

    public readonly ulong Bits => _stored;

    public readonly bool IsUnused => _stored == 0;

    public readonly bool IsPresent => _stored != 0 && View.IsPresent;

    public readonly bool IsProtNone => _stored != 0 && View.IsProtNone;

    public readonly bool IsHuge => !TFault.IgnoreHuge && _stored != 0 && View.IsHuge;

    public void Clear() => _stored = 0;
}

/// <summary>Bit helpers for fault definitions.</summary>
public static class BitOps
{
    /// <summary>Moves bit <paramref name="from"/> to bit <paramref name="to"/> (clearing <paramref name="from"/>).</summary>
    public static ulong Move(ulong bits, int from, int to)
    {
        ulong moved = (bits >> from) & 1;
        return (bits & ~(1UL << from) & ~(1UL << to)) | (moved << to);
    }

    /// <summary>Shifts the address field <paramref name="mask"/> left by one (bits pushed out of the field are lost).</summary>
    public static ulong AddressShiftedLeft(ulong bits, ulong mask) => (bits & ~mask) | (((bits & mask) << 1) & mask);

    /// <summary>Undoes <see cref="AddressShiftedLeft"/> (the top bit, once lost, stays lost).</summary>
    public static ulong AddressShiftedRight(ulong bits, ulong mask) => (bits & ~mask) | (((bits & mask) >> 1) & mask);
}
