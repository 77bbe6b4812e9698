namespace PageTableMultiarch;

/// <summary>
/// Architecture metadata (the original's <c>PagingMetaData</c>): implemented by empty structs so that
/// <c>PageTable64</c> is specialized per architecture by the JIT.
/// </summary>
public interface IPagingMetaData
{
    /// <summary>Number of translation levels: 3 (Sv39) or 4 (the others).</summary>
    static abstract int Levels { get; }

    /// <summary>Physical address width in bits: a page must end at or below 2^<c>PaMaxBits</c>. At least 30, so that the
    /// limit is a multiple of every page size (it is 48 to 56 on the architectures here).</summary>
    static abstract int PaMaxBits { get; }

    /// <summary>Virtual address width in bits (39 or 48).</summary>
    static abstract int VaMaxBits { get; }

    /// <summary>
    /// Whether <paramref name="vaddr"/> is canonical for this architecture. Every architecture in this
    /// port uses sign extension of the top translated bit (see <see cref="Canonical"/> and each metadata type).
    /// </summary>
    static abstract bool VaddrIsValid(ulong vaddr);

    /// <summary>
    /// Invalidates the TLB entry for <paramref name="vaddr"/>, or the whole TLB when it is null.
    /// Host builds have no TLB and do nothing; a kernel port issues <c>invlpg</c>, <c>tlbi</c>,
    /// <c>sfence.vma</c> or <c>invtlb</c> here.
    /// </summary>
    static abstract void FlushTlb(VirtAddr? vaddr);

    /// <summary>
    /// Whether a valid entry of a live table must become invalid, and the TLB be invalidated, before it becomes a
    /// different valid entry (another output address, block size, table/block or memory type): Arm's
    /// break-before-make rule (Arm ARM, D8.16.1 "Using break-before-make when updating translation table entries").
    /// False unless an architecture overrides it (AArch64 does). Permission-only changes never need it.
    /// </summary>
    static virtual bool BreakBeforeMake => false;

    /// <summary>
    /// Called right after the table writes one entry, with the entry's host address and its bits before and after.
    /// Does nothing by default, and the JIT removes the call for the ready metadata types; a test metadata type can
    /// record every write (with the handler's allocations and frees and the <see cref="FlushTlb"/> calls) as one
    /// ordered stream, and look at memory between the writes of one operation.
    /// </summary>
    static virtual void OnEntryWrite(nint entryHostAddress, ulong oldBits, ulong newBits)
    {
    }
}

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

/// <summary>
/// Supplies frames for tables and turns physical addresses into host pointers (the original's
/// <c>PagingHandler</c>). Unlike the original's static-only trait, a handler is a struct value stored
/// in each table, so every table can own its own arena.
/// </summary>
public interface IPagingHandler
{
    /// <summary>Allocates one 4 KiB frame (its content is unspecified); false when none is left.</summary>
    bool TryAllocFrame(out PhysAddr paddr);

    /// <summary>Returns a frame that <see cref="TryAllocFrame"/> gave out.</summary>
    void DeallocFrame(PhysAddr paddr);

    /// <summary>
    /// The host pointer to the first byte of the 4 KiB frame at <paramref name="paddr"/>.
    /// Implementations must refuse (throw) addresses they do not own rather than return a stray pointer,
    /// and must throw <see cref="ObjectDisposedException"/> once <see cref="IsMemoryReleased"/> is true.
    /// </summary>
    unsafe byte* PhysToHost(PhysAddr paddr);

    /// <summary>
    /// Whether the memory behind this handler is gone (for <see cref="ArenaHandler"/>: its arena was disposed, or
    /// it has none). A table checks it before it touches memory again after running caller code (a region
    /// callback, a walk visitor), and its <c>Dispose</c> then frees nothing.
    /// </summary>
    bool IsMemoryReleased { get; }
}

/// <summary>
/// A TLB flush that a mapping change of one page requires (the original's <c>TlbFlush</c>).
/// Call <see cref="Flush"/> once the change should be visible, or <see cref="Ignore"/>.
/// </summary>
/// <typeparam name="TMeta">The architecture whose flush hook runs.</typeparam>
public readonly record struct TlbFlush<TMeta>(VirtAddr Vaddr) where TMeta : struct, IPagingMetaData
{
    /// <summary>Invalidates the TLB entry of <see cref="Vaddr"/>.</summary>
    public void Flush() => TMeta.FlushTlb(Vaddr);

    /// <summary>Drops the obligation (the caller flushes some other way).</summary>
    public void Ignore() { }
}

/// <summary>
/// A whole-TLB flush that a change of many mappings requires (the original's <c>TlbFlushAll</c>).
/// </summary>
/// <typeparam name="TMeta">The architecture whose flush hook runs.</typeparam>
public readonly record struct TlbFlushAll<TMeta> where TMeta : struct, IPagingMetaData
{
    /// <summary>Invalidates the whole TLB.</summary>
    public void Flush() => TMeta.FlushTlb(null);

    /// <summary>Drops the obligation (the caller flushes some other way).</summary>
    public void Ignore() { }
}

/// <summary>The canonical-address rule shared by the metadata types.</summary>
public static class Canonical
{
    /// <summary>
    /// Whether bits 63..<paramref name="vaBits"/>-1 of <paramref name="vaddr"/> are all equal, i.e. the
    /// address is the sign extension of its low <paramref name="vaBits"/> bits.
    /// </summary>
    public static bool IsCanonical(ulong vaddr, int vaBits)
    {
        long top = (long)vaddr >> (vaBits - 1); // arithmetic shift: 0 or -1 exactly when the top bits agree
        return top == 0 || top == -1;
    }

    /// <summary>Sign-extends the low <paramref name="vaBits"/> bits of <paramref name="vaddr"/>.</summary>
    public static ulong SignExtend(ulong vaddr, int vaBits)
    {
        int unused = 64 - vaBits;
        return (ulong)((long)(vaddr << unused) >> unused);
    }
}
