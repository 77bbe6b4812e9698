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
