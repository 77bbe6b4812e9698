namespace PageTableModel.Hardware;

/// <summary>
/// The x86_64 TLB and paging-structure caches (Intel SDM Vol. 3A §4.10, "Caching Translation Information"), with
/// CR4.PCIDE=0 (every entry belongs to PCID 000H) and CR4.PGE=1.
/// </summary>
/// <remarks>
/// <para><b>Cached.</b> The TLB (§4.10.2) holds a translation for a page number — 4 KiB, 2 MiB or 1 GiB — with the
/// rights combined over every level of its walk and its memory type; only translations whose walk reached a
/// present leaf without setting a reserved bit are cached. The paging-structure caches (§4.10.3.1) hold PML4-cache
/// entries (address bits 47:39 → the PDPT's address), PDPTE-cache entries (47:30 → the page directory) and
/// PDE-cache entries (47:21 → the page table), each with the rights combined down to it; an entry is cached for
/// every present PML4E, and every present PDPTE or PDE with PS=0, met on a walk, whatever the rest of the walk
/// gives. A walk that misses the TLB starts below the deepest paging-structure-cache entry that matches
/// (§4.10.3.2). A leaf with G=1 is global (§4.10.2.4).</para>
/// <para><b>Invalidations</b> (§4.10.4.1): <see cref="Invlpg"/> removes the TLB entries for the page containing the
/// address, global or not, and every paging-structure-cache entry whatever its address; <see cref="ReloadCr3"/>
/// (MOV to CR3) removes every TLB entry except the global ones and every paging-structure-cache entry;
/// <see cref="FlushGlobal"/> (MOV to CR4 that changes PGE, or INVPCID type 2) removes everything. The
/// invalidation a page fault performs is not modelled (<see cref="SimulatedTlb.Translate"/> has no side effects).</para>
/// <para><b>The library's flush</b>: <c>FlushTlb(va)</c> is INVLPG of <c>va</c>, <c>FlushTlb(null)</c> a CR3 reload.
/// The library writes no global leaf; a global leaf some other code wrote survives <c>FlushTlb(null)</c>, and
/// <see cref="SimulatedTlb.Disagreements"/> shows it if it went stale.</para>
/// </remarks>
public sealed class X64Tlb : SimulatedTlb
{
    /// <summary>A TLB for the tables in <paramref name="memory"/> whose PML4 is at <paramref name="root"/> (CR3).</summary>
    /// <param name="memory">The physical memory the hardware walks.</param>
    /// <param name="root">The PML4's physical address: 4 KiB aligned, below 2^52.</param>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is unaligned or too high.</exception>
    public X64Tlb(IPhysicalMemory memory, ulong root)
        : base(new X64Walker(), memory, root)
    {
    }

    /// <summary>
    /// INVLPG: removes the TLB entries for the page that contains <paramref name="va"/> (global ones too) and every
    /// paging-structure-cache entry, whatever address it serves (SDM Vol. 3A §4.10.4.1). A non-canonical address
    /// makes it a no-op (SDM Vol. 2A, INVLPG).
    /// </summary>
    /// <param name="va">Any linear address.</param>
    /// <returns>How many entries were removed.</returns>
    public int Invlpg(ulong va)
    {
        if (!WalkSupport.IsSignExtended(va, 47))
        {
            return 0;
        }

        return Remove(e => e.Kind == TlbEntryKind.Table || e.MatchedBy(va));
    }

    /// <summary>
    /// MOV to CR3 (with CR4.PCIDE=0): removes every TLB entry except global ones, and every paging-structure-cache
    /// entry (SDM Vol. 3A §4.10.4.1).
    /// </summary>
    /// <returns>How many entries were removed.</returns>
    public int ReloadCr3() => Remove(e => e.Kind == TlbEntryKind.Table || !e.Global);

    /// <summary>
    /// MOV to CR4 that toggles PGE (or INVPCID type 2): removes every entry, global ones included (SDM Vol. 3A
    /// §4.10.4.1).
    /// </summary>
    /// <returns>How many entries were removed.</returns>
    public int FlushGlobal() => Remove(_ => true);

    /// <inheritdoc/>
    /// <remarks>INVLPG for a page, a CR3 reload for the whole TLB.</remarks>
    public override void ApplyFlush(ulong? va)
    {
        if (va is { } address)
        {
            Invlpg(address);
        }
        else
        {
            ReloadCr3();
        }
    }

    /// <inheritdoc/>
    public override string FlushInstruction(ulong? va) => va is { } address ? $"invlpg [0x{address:x}]" : "mov cr3, cr3";
}
