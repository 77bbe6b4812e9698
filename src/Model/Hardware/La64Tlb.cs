namespace PageTableModel.Hardware;

/// <summary>
/// The TLB of one LoongArch64 core refilled by software (LoongArch Reference Manual Vol. 1: §5.4 "TLB refill" with
/// LDDIR/LDPTE, §4.2.4 "TLB Maintenance Instructions" (TLBFILL, INVTLB), §7.5 CSR.TLBELO0/1).
/// </summary>
/// <remarks>
/// <para><b>Cached.</b> Only leaf TLB entries, and only what the TLB refill handler writes: it walks the directories
/// with LDDIR (plain loads: nothing but the final TLB entry is kept, there is no hardware walk cache), loads the even
/// and the odd page-table entry of the pair with LDPTE 0 and LDPTE 1 and writes both halves with TLBFILL. So one fill
/// of a 4 KiB page caches two halves — the page and its neighbour (address bit 12 flipped) — each as it is in
/// memory, <i>even with V=0</i>: a lookup that hits a V=0 half raises a page invalid exception without walking. A huge
/// directory entry is loaded by LDPTE as two halves of half its size with the same attributes; this model keeps it as
/// one entry covering the whole page. The TLB entry is global when G is set in both halves (HGLOBAL for a huge
/// page); otherwise it is tagged with CSR.ASID. A walk that meets an all-zero directory entry caches nothing (the
/// model's walker treats it as "no table"). Assumes CPUCFG.2.HPTW=0: no hardware page-table walker.</para>
/// <para><b>Invalidations</b> (<see cref="Invtlb"/>): op 0 and 1 every entry; 2 global entries; 3 non-global entries;
/// 4 non-global entries of an ASID; 5 non-global entries of an ASID whose VPPN matches the address; 6 entries that are
/// global or of an ASID and whose VPPN matches. A VA match selects the whole even/odd pair. TLBCLR and TLBFLUSH act
/// on the set CSR.TLBIDX selects and are not modelled (the model has no sets).</para>
/// <para><b>The library's flush</b>: <c>FlushTlb(va)</c> is <c>invtlb 0x6, asid, va</c> — the pair holding the page,
/// global or of the current ASID, so a kernel's global pages are covered as well — and <c>FlushTlb(null)</c>
/// <c>invtlb 0x0, zero, zero</c>, each after <c>dbar 0</c>.</para>
/// </remarks>
public sealed class La64Tlb : SimulatedTlb
{
    private const int AsidBits = 10; // CSR.ASID.ASID, bits 9:0.
    private const ulong PairSpan = 0x2000; // an even/odd pair of 4 KiB pages

    private ushort asid;

    /// <summary>A TLB for the tables in <paramref name="memory"/> at <paramref name="root"/> (CSR.PGDL = CSR.PGDH).</summary>
    /// <param name="memory">The physical memory the refill handler reads.</param>
    /// <param name="root">The Dir3 table's physical address: 4 KiB aligned, below 2^48.</param>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is unaligned or too high.</exception>
    public La64Tlb(IPhysicalMemory memory, ulong root)
        : base(new La64Walker(), memory, root)
    {
    }

    /// <summary>CSR.ASID.ASID (10 bits): new entries are tagged with it. Changing it invalidates nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value does not fit in 10 bits.</exception>
    public ushort Asid
    {
        get => asid;
        set => asid = value < 1 << AsidBits ? value : throw new ArgumentOutOfRangeException(nameof(value), "an ASID has 10 bits");
    }

    /// <inheritdoc/>
    private protected override ushort CurrentAsid => asid;

    /// <inheritdoc/>
    private protected override bool CachesNonLeafEntries => false;

    /// <summary>INVTLB op, rj, rk.</summary>
    /// <param name="op">The operation, 0 to 6.</param>
    /// <param name="asid">rj: its bits 9:0 are the ASID (ops 4 to 6).</param>
    /// <param name="va">rk: the virtual address (ops 5 and 6).</param>
    /// <returns>How many entries (halves) were removed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="op"/> is above 6 (an instruction non-existent exception in hardware).</exception>
    public int Invtlb(int op, ulong asid, ulong va)
    {
        ushort space = (ushort)(asid & ((1UL << AsidBits) - 1));
        return op switch
        {
            0 or 1 => Remove(_ => true),
            2 => Remove(e => e.Global),
            3 => Remove(e => !e.Global),
            4 => Remove(e => !e.Global && e.Asid == space),
            5 => Remove(e => !e.Global && e.Asid == space && e.MatchedBy(va)),
            6 => Remove(e => (e.Global || e.Asid == space) && e.MatchedBy(va)),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "INVTLB defines ops 0 to 6"),
        };
    }

    /// <inheritdoc/>
    /// <remarks>INVTLB 0x6 with the current ASID for a page; INVTLB 0x0 for the whole TLB.</remarks>
    public override void ApplyFlush(ulong? va)
    {
        if (va is { } address)
        {
            Invtlb(6, asid, address);
        }
        else
        {
            Invtlb(0, 0, 0);
        }
    }

    /// <inheritdoc/>
    public override string FlushInstruction(ulong? va) =>
        va is { } address ? $"dbar 0; invtlb 0x6, asid {asid}, 0x{address:x}" : "dbar 0; invtlb 0x0, zero, zero";

    /// <inheritdoc/>
    /// <remarks>The even and odd halves of a 4 KiB pair, or one entry for a huge page, whatever V says.</remarks>
    private protected override IEnumerable<TlbEntry> LeafEntries(Descent end, ulong va)
    {
        if (end.Level < Rules.Levels - 1)
        {
            ulong size = 1UL << Rules.IndexLow(end.Level);
            ulong vaBase = va & ~(size - 1);
            return [NewLeaf(end.Level, end.Entry, end.EntryAddress, end.Inherited, vaBase, vaBase, size)];
        }

        // LDPTE 0 and LDPTE 1 read the even and the odd entry of the page table; TLBFILL writes them as one entry.
        ulong evenAddress = end.EntryAddress & ~8UL; // entry index with bit 0 clear
        ulong pairBase = va & ~(PairSpan - 1);
        var halves = new List<(ulong Address, ulong Raw)>();
        for (ulong half = 0; half < 2; half++)
        {
            if (Memory.TryRead64(evenAddress + half * 8, out ulong raw))
            {
                halves.Add((evenAddress + half * 8, raw));
            }
        }

        // TLBFILL makes the entry global only when both TLBELO0.G and TLBELO1.G are 1.
        bool global = halves.TrueForAll(h => Rules.IsGlobal(end.Level, h.Raw, 0, leaf: true));
        var result = new List<TlbEntry>();
        foreach ((ulong address, ulong raw) in halves)
        {
            ulong vaBase = pairBase + (address - evenAddress) / 8 * 0x1000;
            result.Add(NewLeaf(end.Level, raw, address, 0, vaBase, pairBase, PairSpan, global));
        }

        return result;
    }
}
