namespace PageTableModel.Hardware;

/// <summary>
/// The stage 1 EL1&amp;0 TLB of one AArch64 PE, including its walk caches (Arm ARM DDI 0487, chapter D8, the
/// sections "Translation Lookaside Buffers (TLBs)", "TLB maintenance" and the TLBI instruction descriptions in
/// chapter C5).
/// </summary>
/// <remarks>
/// <para><b>Cached.</b> Leaf entries (pages and blocks) whose descriptor raises no Translation, Address size or
/// Access flag fault — the TLB never holds those — with their attributes and the table attributes (APTable,
/// UXNTable, PXNTable) above them; a leaf with nG=0 is global, one with nG=1 is tagged with the current ASID. Walk
/// caches ("intermediate-level caching"): every valid table descriptor met on a walk, tagged with the current ASID
/// (TLBI ASIDE1 removes entries "from a level of lookup above the final level" of its ASID), whatever the rest of
/// the walk gives. A miss starts below the deepest matching walk-cache entry. When two leaves cover one address
/// (a block replaced without break-before-make), <see cref="SimulatedTlb.Translate"/> answers with the later one
/// and <see cref="SimulatedTlb.PossibleResults"/> lists both (the Arm ARM allows either, or a TLB conflict abort).</para>
/// <para><b>Invalidations.</b> By VA, all levels (<see cref="TlbiVae1"/>, <see cref="TlbiVaae1"/>): every entry, leaf
/// or walk cache, that would be used to translate the address, for one ASID (plus global entries) or for all. By
/// VA, last level (<see cref="TlbiVale1"/>, <see cref="TlbiVaale1"/>): only leaf entries; walk-cache entries for the
/// address stay. <see cref="TlbiAside1"/>: walk-cache entries and non-global leaves of one ASID.
/// <see cref="TlbiVmalle1"/>: everything. The inner-shareable forms (…IS) do the same on this PE.</para>
/// <para><b>The library's flush</b>: <c>FlushTlb(va)</c> is TLBI VAAE1IS (by VA, any ASID, all levels: the library
/// does not know the ASID its tables run under), <c>FlushTlb(null)</c> TLBI VMALLE1IS, each followed by DSB ISH
/// and ISB.</para>
/// </remarks>
public sealed class A64Tlb : SimulatedTlb
{
    /// <summary>A TLB for the tables in <paramref name="memory"/> at <paramref name="root"/> (TTBR0_EL1 = TTBR1_EL1).</summary>
    /// <param name="memory">The physical memory the hardware walks.</param>
    /// <param name="root">The level 0 table's physical address: 4 KiB aligned, below 2^48.</param>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is unaligned or too high.</exception>
    public A64Tlb(IPhysicalMemory memory, ulong root)
        : base(new A64Walker(), memory, root)
    {
    }

    /// <summary>
    /// The current ASID (TTBR0_EL1.ASID with TCR_EL1.A1=0, 16 bits): new entries are tagged with it and lookups use
    /// global entries and entries tagged with it. Changing it invalidates nothing.
    /// </summary>
    public ushort Asid { get; set; }

    /// <inheritdoc/>
    private protected override ushort CurrentAsid => Asid;

    /// <summary>TLBI VAE1: entries of any level that would translate <paramref name="va"/>, global or of <paramref name="asid"/>.</summary>
    /// <param name="va">Any virtual address; entries whose range contains it are selected.</param>
    /// <param name="asid">The ASID to match (global entries match any).</param>
    /// <returns>How many entries were removed.</returns>
    public int TlbiVae1(ulong va, ushort asid) => Remove(e => e.MatchedBy(va) && (e.Global || e.Asid == asid));

    /// <summary>TLBI VALE1: leaf entries for <paramref name="va"/>, global or of <paramref name="asid"/>; walk-cache entries stay.</summary>
    /// <param name="va">Any virtual address.</param>
    /// <param name="asid">The ASID to match (global entries match any).</param>
    /// <returns>How many entries were removed.</returns>
    public int TlbiVale1(ulong va, ushort asid) =>
        Remove(e => e.Kind == TlbEntryKind.Leaf && e.MatchedBy(va) && (e.Global || e.Asid == asid));

    /// <summary>TLBI VAAE1: entries of any level that would translate <paramref name="va"/>, for every ASID.</summary>
    /// <param name="va">Any virtual address.</param>
    /// <returns>How many entries were removed.</returns>
    public int TlbiVaae1(ulong va) => Remove(e => e.MatchedBy(va));

    /// <summary>TLBI VAALE1: leaf entries for <paramref name="va"/>, for every ASID; walk-cache entries stay.</summary>
    /// <param name="va">Any virtual address.</param>
    /// <returns>How many entries were removed.</returns>
    public int TlbiVaale1(ulong va) => Remove(e => e.Kind == TlbEntryKind.Leaf && e.MatchedBy(va));

    /// <summary>TLBI ASIDE1: walk-cache entries and non-global leaf entries of <paramref name="asid"/>.</summary>
    /// <param name="asid">The ASID whose entries go.</param>
    /// <returns>How many entries were removed.</returns>
    public int TlbiAside1(ushort asid) => Remove(e => !e.Global && e.Asid == asid);

    /// <summary>TLBI VMALLE1: every stage 1 entry of any level, global or of any ASID.</summary>
    /// <returns>How many entries were removed.</returns>
    public int TlbiVmalle1() => Remove(_ => true);

    /// <inheritdoc/>
    /// <remarks>TLBI VAAE1IS for a page, TLBI VMALLE1IS for the whole TLB.</remarks>
    public override void ApplyFlush(ulong? va)
    {
        if (va is { } address)
        {
            TlbiVaae1(address);
        }
        else
        {
            TlbiVmalle1();
        }
    }

    /// <inheritdoc/>
    public override string FlushInstruction(ulong? va) =>
        va is { } address ? $"tlbi vaae1is, 0x{(address >> 12) & ((1UL << 44) - 1):x}; dsb ish; isb" : "tlbi vmalle1is; dsb ish; isb";
}
