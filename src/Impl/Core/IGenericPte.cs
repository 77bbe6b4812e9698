namespace PageTableMultiarch;

/// <summary>
/// A hardware page-table entry format (the original's <c>GenericPTE</c>). Implemented by 8-byte
/// unmanaged structs that wrap the raw bits, so tables are read and written through pointers.
/// </summary>
/// <typeparam name="TSelf">The entry type itself.</typeparam>
public interface IGenericPte<TSelf> where TSelf : unmanaged, IGenericPte<TSelf>
{
    /// <summary>A leaf entry mapping <paramref name="paddr"/> with <paramref name="flags"/>;
    /// <paramref name="isHuge"/> when it sits above the last level (a 2M or 1G block).</summary>
    static abstract TSelf NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge);

    /// <summary>A non-leaf entry pointing to the next-level table at <paramref name="paddr"/>.</summary>
    static abstract TSelf NewTable(PhysAddr paddr);

    /// <summary>The all-zero (unused) entry.</summary>
    static abstract TSelf Empty { get; }

    /// <summary>The output address: the frame or block for a leaf, the next table otherwise.</summary>
    PhysAddr Paddr { get; }

    /// <summary>The flags this entry grants, decoded from the hardware bits.</summary>
    MappingFlags Flags { get; }

    /// <summary>Replaces the output address, keeping every other bit.</summary>
    void SetPaddr(PhysAddr paddr);

    /// <summary>Replaces the flags of a leaf, keeping the output address; <paramref name="isHuge"/> as in <see cref="NewPage"/>.</summary>
    void SetFlags(MappingFlags flags, bool isHuge);

    /// <summary>The raw 64-bit entry.</summary>
    ulong Bits { get; }

    /// <summary>Whether all bits are zero.</summary>
    bool IsUnused { get; }

    /// <summary>Whether the hardware treats the entry as valid.</summary>
    bool IsPresent { get; }

    /// <summary>Whether the entry is a leaf above the last level (2M/1G). Meaningful only above the last level.</summary>
    bool IsHuge { get; }

    /// <summary>Sets all bits to zero.</summary>
    void Clear();
}
