namespace PageTableModel.Hardware;

/// <summary>
/// The translation caches of one processor (one hart, one PE) for one table format: what hardware walks of raw page
/// tables may leave cached, how an access is answered from them, and what each invalidation instruction removes.
/// One subclass per architecture states, from its manual, what is cached and what each instruction removes.
/// </summary>
/// <remarks>
/// <para><b>Filling.</b> Nothing is cached until <see cref="Fill"/> is called: a property chooses when the hardware
/// walks (before an operation, between its writes, after it). A fill is one access by the hardware to an address
/// (a real or a speculative one): a leaf already cached for it answers and nothing changes; otherwise the walk starts
/// below the deepest cached non-leaf entry for the address (or at the root), reads memory from there on, and caches
/// what the architecture allows. The walk reads entries with the rules of the architecture's
/// <see cref="IHardwareWalker"/>.</para>
/// <para><b>Answers.</b> <see cref="Translate"/> answers as the hardware would with the current cache: a hit is served
/// from the cache even if memory changed since (stale). <see cref="PossibleResults"/> lists every answer the hardware
/// may give, since a cache may also drop any entry at any moment or hold two entries for one address.</para>
/// <para><b>Checks.</b> <see cref="Disagreements"/> lists every cached entry, leaf or not, that differs from what a
/// walk of memory alone would find now; <see cref="ReferencesTo"/> lists every cached entry that refers to a
/// physical frame. <see cref="ApplyFlush"/> is what the library's <c>IPagingMetaData.FlushTlb</c> stands for.</para>
/// <para>Not modelled: eviction (entries stay until invalidated: the worst case for staleness), several processors
/// (each instruction acts on this one; the inner-shareable forms act here exactly as the local forms), hardware
/// updates of accessed/dirty bits, and x86's splitting of a large page into several smaller TLB entries.</para>
/// </remarks>
public abstract class SimulatedTlb
{
    private static readonly (Access Access, Privilege Privilege)[] EveryAccess =
    [
        (Access.Read, Privilege.Supervisor), (Access.Write, Privilege.Supervisor), (Access.Execute, Privilege.Supervisor),
        (Access.Read, Privilege.User), (Access.Write, Privilege.User), (Access.Execute, Privilege.User),
    ];

    private readonly List<TlbEntry> entries = [];
    private long sequence;

    /// <summary>A cache for tables walked by <paramref name="walker"/> in <paramref name="memory"/> from <paramref name="root"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="walker"/> or <paramref name="memory"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="walker"/> is not one of this model's walkers.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is unaligned or too high.</exception>
    private protected SimulatedTlb(IHardwareWalker walker, IPhysicalMemory memory, ulong root)
    {
        ArgumentNullException.ThrowIfNull(walker);
        ArgumentNullException.ThrowIfNull(memory);
        Rules = WalkEngine.RulesOf(walker);
        WalkSupport.CheckArguments(memory, root, Rules.PhysicalAddressBits, Access.Read, Privilege.Supervisor);
        Walker = walker;
        Memory = memory;
        Root = root;
    }

    /// <summary>The table format's short name: <c>X64</c>, <c>A64</c>, <c>Sv39</c>, <c>Sv48</c> or <c>La64</c>.</summary>
    public string Name => Rules.Name;

    /// <summary>The walker whose reading rules the fills and checks use.</summary>
    public IHardwareWalker Walker { get; }

    /// <summary>The physical memory the hardware walks.</summary>
    public IPhysicalMemory Memory { get; }

    /// <summary>The root table's physical address (CR3, TTBR0/1, satp, PGDL/PGDH).</summary>
    public ulong Root { get; }

    /// <summary>Every cached entry, in fill order.</summary>
    public IReadOnlyList<TlbEntry> Entries => entries;

    /// <summary>The step rules of the walk.</summary>
    private protected IWalkRules Rules { get; }

    /// <summary>The ASID new entries are tagged with and lookups match (0 where the architecture has none in use).</summary>
    private protected virtual ushort CurrentAsid => 0;

    /// <summary>Whether the hardware caches non-leaf entries met on a walk.</summary>
    private protected virtual bool CachesNonLeafEntries => true;

    /// <summary>
    /// One hardware access to <paramref name="va"/>: on a miss, walks (using the deepest cached non-leaf entry) and
    /// caches what the architecture allows. A non-canonical address or a hit caches nothing.
    /// </summary>
    /// <param name="va">Any virtual address.</param>
    /// <returns>The entries this fill added, root side first.</returns>
    public IReadOnlyList<TlbEntry> Fill(ulong va)
    {
        if (Rules.CheckAddress(va) is not null || FindHit(va) is not null)
        {
            return [];
        }

        TlbEntry? start = DeepestTable(va);
        var trace = new List<EntryRead>();
        Descent end = start is null
            ? WalkEngine.Descend(Rules, Memory, va, 0, Root, 0, trace)
            : WalkEngine.Descend(Rules, Memory, va, start.Level + 1, start.NextTable, start.Inherited, trace);

        var added = new List<TlbEntry>();
        if (CachesNonLeafEntries)
        {
            foreach (EntryRead read in trace)
            {
                if (read.Step.Kind == StepKind.Table)
                {
                    added.Add(NewTable(read, va));
                }
            }
        }

        if (end.IsLeaf)
        {
            added.AddRange(LeafEntries(end, va));
        }

        entries.AddRange(added);
        return added;
    }

    /// <summary>
    /// The answer the hardware gives now for one access: from a cached leaf if one covers <paramref name="va"/> (the
    /// latest filled, if several do), else by a walk that starts below the deepest cached non-leaf entry. Caches
    /// nothing (call <see cref="Fill"/> for that).
    /// </summary>
    /// <param name="va">Any virtual address.</param>
    /// <param name="access">Load, store or fetch.</param>
    /// <param name="privilege">Supervisor or user.</param>
    /// <returns>The answer and where it came from.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="access"/> or <paramref name="privilege"/> is undefined.</exception>
    public TlbLookup Translate(ulong va, Access access, Privilege privilege)
    {
        CheckAccess(access, privilege);
        if (Rules.CheckAddress(va) is { } refused)
        {
            return new TlbLookup(refused, null, null);
        }

        if (FindHit(va) is { } hit)
        {
            return new TlbLookup(Rules.Leaf(hit.Level, hit.Raw, hit.Inherited, va, access, privilege), hit, null);
        }

        TlbEntry? start = DeepestTable(va);
        return new TlbLookup(WalkFrom(start, va, access, privilege), null, start);
    }

    /// <summary>
    /// Every answer the hardware may give now for one access: each cached leaf covering <paramref name="va"/>, a
    /// walk below each cached non-leaf entry covering it, and a walk of memory alone (any entry may have been
    /// dropped). Distinct answers, in that order.
    /// </summary>
    /// <param name="va">Any virtual address.</param>
    /// <param name="access">Load, store or fetch.</param>
    /// <param name="privilege">Supervisor or user.</param>
    /// <returns>At least one answer.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="access"/> or <paramref name="privilege"/> is undefined.</exception>
    public IReadOnlyList<WalkResult> PossibleResults(ulong va, Access access, Privilege privilege)
    {
        CheckAccess(access, privilege);
        if (Rules.CheckAddress(va) is { } refused)
        {
            return [refused];
        }

        var results = new List<WalkResult>();
        void Add(WalkResult result)
        {
            if (!results.Contains(result))
            {
                results.Add(result);
            }
        }

        foreach (TlbEntry entry in entries)
        {
            if (Visible(entry) && entry.Covers(va) && entry.Kind == TlbEntryKind.Leaf)
            {
                Add(Rules.Leaf(entry.Level, entry.Raw, entry.Inherited, va, access, privilege));
            }
        }

        foreach (TlbEntry entry in entries)
        {
            if (Visible(entry) && entry.Covers(va) && entry.Kind == TlbEntryKind.Table)
            {
                Add(WalkFrom(entry, va, access, privilege));
            }
        }

        Add(WalkFrom(null, va, access, privilege));
        return results;
    }

    /// <summary>
    /// Every cached entry that disagrees with memory: a leaf whose answer to some access differs from what a walk of
    /// memory alone gives now at <see cref="TlbEntry.VaBase"/> (another output address, page size, memory type or
    /// permission, or a fault on one side only); a non-leaf entry for which a walk of memory alone no longer reaches
    /// a non-leaf entry at that level pointing to the same table with the same inherited attributes. Bits the
    /// hardware ignores (accessed, dirty, software bits) may change without a disagreement.
    /// </summary>
    /// <returns>The stale entries, in fill order; empty when the cache is coherent with memory.</returns>
    public IReadOnlyList<TlbDisagreement> Disagreements()
    {
        var stale = new List<TlbDisagreement>();
        foreach (TlbEntry entry in entries)
        {
            var trace = new List<EntryRead>();
            Descent now = WalkEngine.Descend(Rules, Memory, entry.VaBase, 0, Root, 0, trace);
            string? memory = entry.Kind == TlbEntryKind.Table
                ? TableDisagreement(entry, trace, now)
                : LeafDisagreement(entry, now);
            if (memory is not null)
            {
                stale.Add(new TlbDisagreement(entry, memory));
            }
        }

        return stale;
    }

    /// <summary>
    /// Every way a cached entry refers to the 4 KiB frame holding <paramref name="frame"/>: a non-leaf entry that
    /// points to it as the next table (a walk through the entry reads the frame), an entry that is a copy of a word
    /// of the frame, a leaf that translates into it. A table frame may be given back for reuse only when this is
    /// empty; otherwise the hardware may still walk it or answer from copies of it.
    /// </summary>
    /// <param name="frame">Any physical address inside the frame.</param>
    /// <returns>One reference per entry and use, in fill order.</returns>
    public IReadOnlyList<FrameReference> ReferencesTo(ulong frame)
    {
        ulong start = frame & ~((1UL << WalkSupport.PageShift) - 1);
        var references = new List<FrameReference>();
        foreach (TlbEntry entry in entries)
        {
            if (entry.Kind == TlbEntryKind.Table && entry.NextTable == start)
            {
                references.Add(new FrameReference(entry, FrameUse.NextTable));
            }

            if ((entry.EntryAddress & ~((1UL << WalkSupport.PageShift) - 1)) == start)
            {
                references.Add(new FrameReference(entry, FrameUse.ReadFrom));
            }

            if (entry.OutputBase is { } output && start - (output & ~((1UL << WalkSupport.PageShift) - 1)) < entry.Span)
            {
                references.Add(new FrameReference(entry, FrameUse.Output));
            }
        }

        return references;
    }

    /// <summary>
    /// Performs the invalidation the library's <c>IPagingMetaData.FlushTlb(va)</c> stands for on this architecture
    /// (see <see cref="FlushInstruction"/> and docs/semantics.md, "What a flush stands for").
    /// </summary>
    /// <param name="va">The address of one page, or <see langword="null"/> for the whole TLB.</param>
    public abstract void ApplyFlush(ulong? va);

    /// <summary>The instruction <see cref="ApplyFlush"/> performs for <paramref name="va"/>, in assembler form.</summary>
    /// <param name="va">The address of one page, or <see langword="null"/> for the whole TLB.</param>
    /// <returns>For example <c>invlpg [0x7000]</c>.</returns>
    public abstract string FlushInstruction(ulong? va);

    /// <summary>The cached leaf entries for the leaf a walk of <paramref name="va"/> ended at.</summary>
    /// <remarks>By default the leaf itself, if some access translates through it (no faulting leaf is cached).</remarks>
    private protected virtual IEnumerable<TlbEntry> LeafEntries(Descent end, ulong va)
    {
        ulong size = 1UL << Rules.IndexLow(end.Level);
        ulong vaBase = va & ~(size - 1);
        TlbEntry leaf = NewLeaf(end.Level, end.Entry, end.EntryAddress, end.Inherited, vaBase, vaBase, size);
        return leaf.OutputBase is null ? [] : [leaf];
    }

    /// <summary>
    /// A leaf entry covering the page at <paramref name="vaBase"/>, matched by address over the given range; global
    /// as the entry says unless <paramref name="global"/> decides.
    /// </summary>
    private protected TlbEntry NewLeaf(
        int level, ulong raw, ulong entryAddress, ulong inherited, ulong vaBase, ulong matchBase, ulong matchSpan,
        bool? global = null)
    {
        ulong size = 1UL << Rules.IndexLow(level);
        ulong? output = null;
        foreach ((Access access, Privilege privilege) in EveryAccess)
        {
            if (Rules.Leaf(level, raw, inherited, vaBase, access, privilege).Translation is { } translation)
            {
                output = translation.Pa;
                break;
            }
        }

        return new TlbEntry(
            TlbEntryKind.Leaf, level, vaBase, size, entryAddress, raw, global ?? Rules.IsGlobal(level, raw, inherited, leaf: true),
            CurrentAsid, 0, output, inherited, matchBase, matchSpan, ++sequence);
    }

    /// <summary>Removes every entry <paramref name="selected"/> accepts.</summary>
    /// <returns>How many entries were removed.</returns>
    private protected int Remove(Predicate<TlbEntry> selected) => entries.RemoveAll(selected);

    /// <summary>Whether a lookup with the current ASID may use <paramref name="entry"/>.</summary>
    private protected bool Visible(TlbEntry entry) => entry.Global || entry.Asid == CurrentAsid;

    private static void CheckAccess(Access access, Privilege privilege)
    {
        if (!Enum.IsDefined(access))
        {
            throw new ArgumentOutOfRangeException(nameof(access));
        }

        if (!Enum.IsDefined(privilege))
        {
            throw new ArgumentOutOfRangeException(nameof(privilege));
        }
    }

    private TlbEntry NewTable(EntryRead read, ulong va)
    {
        ulong span = 1UL << Rules.IndexLow(read.Level);
        ulong vaBase = va & ~(span - 1);
        return new TlbEntry(
            TlbEntryKind.Table, read.Level, vaBase, span, read.Address, read.Value,
            Rules.IsGlobal(read.Level, read.Value, read.Step.Inherited, leaf: false), CurrentAsid, read.Step.NextTable,
            null, read.Step.Inherited, vaBase, span, ++sequence);
    }

    private TlbEntry? FindHit(ulong va)
    {
        TlbEntry? hit = null;
        foreach (TlbEntry entry in entries)
        {
            if (entry.Kind == TlbEntryKind.Leaf && Visible(entry) && entry.Covers(va))
            {
                hit = entry; // entries are in fill order: the last match is the latest
            }
        }

        return hit;
    }

    private TlbEntry? DeepestTable(ulong va)
    {
        TlbEntry? deepest = null;
        foreach (TlbEntry entry in entries)
        {
            if (entry.Kind == TlbEntryKind.Table && Visible(entry) && entry.Covers(va)
                && (deepest is null || entry.Level >= deepest.Level))
            {
                deepest = entry;
            }
        }

        return deepest;
    }

    private WalkResult WalkFrom(TlbEntry? start, ulong va, Access access, Privilege privilege)
    {
        Descent end = start is null
            ? WalkEngine.Descend(Rules, Memory, va, 0, Root, 0, null)
            : WalkEngine.Descend(Rules, Memory, va, start.Level + 1, start.NextTable, start.Inherited, null);
        return end.Fault ?? Rules.Leaf(end.Level, end.Entry, end.Inherited, va, access, privilege);
    }

    private string? TableDisagreement(TlbEntry entry, List<EntryRead> trace, Descent now)
    {
        foreach (EntryRead read in trace)
        {
            if (read.Level != entry.Level)
            {
                continue;
            }

            if (read.Step.Kind == StepKind.Table && read.Step.NextTable == entry.NextTable
                && read.Step.Inherited == entry.Inherited)
            {
                return null;
            }

            return read.Step.Kind switch
            {
                StepKind.Table => $"0x{read.Value:x} at 0x{read.Address:x} points to table 0x{read.Step.NextTable:x}"
                    + (read.Step.NextTable == entry.NextTable ? " with other inherited attributes" : ""),
                StepKind.Leaf => $"0x{read.Value:x} at 0x{read.Address:x} is a leaf",
                _ => $"0x{read.Value:x} at 0x{read.Address:x}: {read.Step.FaultResult}",
            };
        }

        return $"the walk stops above level {entry.Level}: "
            + (now.Fault is { } fault ? fault.ToString() : $"leaf at level {now.Level}");
    }

    private string? LeafDisagreement(TlbEntry entry, Descent now)
    {
        foreach ((Access access, Privilege privilege) in EveryAccess)
        {
            WalkResult cached = Rules.Leaf(entry.Level, entry.Raw, entry.Inherited, entry.VaBase, access, privilege);
            WalkResult current = now.Fault
                ?? Rules.Leaf(now.Level, now.Entry, now.Inherited, entry.VaBase, access, privilege);
            if (WithoutUsageFlags(cached.Translation) != WithoutUsageFlags(current.Translation))
            {
                string where = now.IsLeaf ? $"leaf 0x{now.Entry:x} at 0x{now.EntryAddress:x} at level {now.Level}, " : "";
                return $"{where}{privilege} {access} gives {current}, the cache {cached}";
            }
        }

        return null;
    }

    // The accessed and dirty flags record use, which the hardware itself sets in memory behind a cached leaf; a change
    // of them alone does not make the cached translation disagree (a store's need for D=1 shows as a fault instead).
    private static Translation? WithoutUsageFlags(Translation? translation) =>
        translation is { } t ? t with { Accessed = null, Dirty = null } : null;
}
