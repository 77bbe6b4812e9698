using System.Runtime.CompilerServices;

namespace PageTableMultiarch;

/// <summary>
/// A hardware page-table entry format (the original's <c>GenericPTE</c>). Implemented by 8-byte
/// unmanaged structs that wrap the raw bits, so tables are read and written through pointers.
/// </summary>
/// <remarks>
/// <para>The table code tells four kinds of entry apart, by level (the last level holds 4K entries):</para>
/// <list type="bullet">
/// <item><b>empty</b>: <see cref="IsUnused"/>;</item>
/// <item><b>mapped leaf</b>: at the last level <see cref="IsPresent"/> or <see cref="IsProtNone"/>; above it
/// <see cref="IsHuge"/> (a valid block or a PROT_NONE one);</item>
/// <item><b>table pointer</b>: above the last level, <see cref="IsPresent"/> and not <see cref="IsHuge"/>; the only kind
/// whose <see cref="Paddr"/> is ever followed or freed as a table;</item>
/// <item><b>anything else</b> (non-zero, not valid, not a PROT_NONE leaf of that level: a stale or foreign value written
/// past the table): not a mapping and never followed; an operation that maps there overwrites it.</item>
/// </list>
/// </remarks>
/// <typeparam name="TSelf">The entry type itself.</typeparam>
public interface IGenericPte<TSelf> where TSelf : unmanaged, IGenericPte<TSelf>
{
    /// <summary>A leaf entry mapping <paramref name="paddr"/> with <paramref name="flags"/>;
    /// <paramref name="isHuge"/> when it sits above the last level (a 2M or 1G block). Flags without
    /// <see cref="MappingFlags.Read"/>, <see cref="MappingFlags.Write"/> and <see cref="MappingFlags.Execute"/> give a
    /// PROT_NONE leaf (<see cref="IsProtNone"/>).</summary>
    static abstract TSelf NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge);

    /// <summary>A non-leaf entry pointing to the next-level table at <paramref name="paddr"/>.</summary>
    static abstract TSelf NewTable(PhysAddr paddr);

    /// <summary>The all-zero (unused) entry.</summary>
    static abstract TSelf Empty { get; }

    /// <summary>The output address: the frame or block for a leaf, the next table otherwise.</summary>
    PhysAddr Paddr { get; }

    /// <summary>The flags of a leaf, decoded from its bits: for a PROT_NONE leaf <see cref="MappingFlags.None"/> plus the
    /// <see cref="MappingFlags.User"/>, <see cref="MappingFlags.Device"/> and <see cref="MappingFlags.Uncached"/> it keeps;
    /// <see cref="MappingFlags.None"/> for an entry that is neither valid nor PROT_NONE.</summary>
    MappingFlags Flags { get; }

    /// <summary>Replaces the output address, keeping every other bit.</summary>
    void SetPaddr(PhysAddr paddr);

    /// <summary>Replaces the flags of a leaf, keeping the output address; <paramref name="isHuge"/> as in <see cref="NewPage"/>.
    /// Turns a valid leaf into a PROT_NONE one and back as the flags say.</summary>
    void SetFlags(MappingFlags flags, bool isHuge);

    /// <summary>The raw 64-bit entry.</summary>
    ulong Bits { get; }

    /// <summary>Whether all bits are zero.</summary>
    bool IsUnused { get; }

    /// <summary>Whether the hardware treats the entry as valid (a table pointer, or a leaf that grants access). False for
    /// a PROT_NONE leaf.</summary>
    bool IsPresent { get; }

    /// <summary>Whether the entry is a PROT_NONE leaf: the hardware's valid bit clear and this format's software marker
    /// set, with the frame, the page size and the kept flags in the other bits. Every access through it faults.</summary>
    bool IsProtNone { get; }

    /// <summary>Whether the entry is a leaf above the last level (2M/1G): a valid block or a PROT_NONE one. Meaningful only
    /// above the last level.</summary>
    bool IsHuge { get; }

    /// <summary>Sets all bits to zero.</summary>
    void Clear();
}

/// <summary>What the walks ask of an entry on every level, answered for the library's own formats by one test of the bits.</summary>
internal static class EntryKind
{
    /// <summary>
    /// Whether <paramref name="entry"/>, above the last level, is a table pointer: <see cref="IGenericPte{TSelf}.IsPresent"/>
    /// and not <see cref="IGenericPte{TSelf}.IsHuge"/>, by definition (the interface's remarks). X64, A64 and RISC-V
    /// answer with one test of their bits (their <c>IsTablePointer</c>, the manual's own rule); the JIT keeps only the
    /// branch of <typeparamref name="TPte"/>. Any other format gets the definition: LoongArch, whose directory entries
    /// need two tests either way (the definition's first two), and formats from outside the library. The two agree on
    /// every value (<c>PteContractTests.IsTablePointer_agrees_with_present_and_not_huge_on_every_value</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsTablePointer<TPte>(TPte entry) where TPte : unmanaged, IGenericPte<TPte> =>
        // Stryker disable Conditional : a condition forced false sends that format to the definition, which gives the same
        // answer for every value, so the mutant is equivalent. The switch turns off the true twins as well; the != mutants
        // of the same tests, which send the other formats to one format's test, are killed (tests/Mutation/README.md)
        typeof(TPte) == typeof(X64Pte) ? X64Pte.IsTablePointer(Unsafe.BitCast<TPte, X64Pte>(entry))
        : typeof(TPte) == typeof(A64Pte) ? A64Pte.IsTablePointer(Unsafe.BitCast<TPte, A64Pte>(entry))
        : typeof(TPte) == typeof(RiscVPte) ? RiscVPte.IsTablePointer(Unsafe.BitCast<TPte, RiscVPte>(entry))
        : entry.IsPresent && !entry.IsHuge;
    // Stryker restore Conditional
}
