using System.Runtime.CompilerServices;

namespace PageTableMultiarch;

public partial class PageTable64<TMeta, TPte, THandler>
{
    /// <summary>
    /// Maps the page of <paramref name="size"/> at <paramref name="vaddr"/> to the frame at
    /// <paramref name="paddr"/> with <paramref name="flags"/>, allocating intermediate tables as needed.
    /// </summary>
    /// <returns>
    /// The flush to perform, or: <see cref="PagingError.InvalidVirtAddr"/> (not canonical),
    /// <see cref="PagingError.NotAligned"/> (<paramref name="vaddr"/> or <paramref name="paddr"/> not aligned to
    /// <paramref name="size"/> — the original rounded <paramref name="paddr"/> down instead),
    /// <see cref="PagingError.InvalidFlags"/>, <see cref="PagingError.InvalidPhysAddr"/> (the page ends beyond the
    /// physical width), <see cref="PagingError.BorrowedEntry"/>, <see cref="PagingError.MappedToHugePage"/> (a larger
    /// page covers <paramref name="vaddr"/>), <see cref="PagingError.AlreadyMapped"/> (a mapping overlaps the page),
    /// <see cref="PagingError.NoMemory"/>, <see cref="PagingError.InvalidPhysAddr"/> (the handler gave a table frame a
    /// table pointer cannot hold). A huge page may replace an intermediate table whose subtree maps nothing; those
    /// empty tables are freed — except a root slot's table lent to another table (<see cref="PagingError.LentEntry"/>).
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not a defined <see cref="PageSize"/>; or an entry
    /// on the way points outside the handler's memory (a corrupted table).</exception>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone.</exception>
    /// <exception cref="InvalidOperationException">Called from caller code inside an operation on this table.</exception>
    public unsafe PagingResult<TlbFlush<TMeta>> Map(VirtAddr vaddr, PhysAddr paddr, PageSize size, MappingFlags flags)
    {
        ThrowIfNotWritable();
        int level = LevelOf(size);
        ulong va = vaddr.Value, pa = paddr.Value, bytes = (ulong)size;
        if (!TMeta.VaddrIsValid(va)) return PagingError.InvalidVirtAddr;
        if ((va & (bytes - 1)) != 0) return PagingError.NotAligned;
        if (!flags.IsValidForMapping()) return PagingError.InvalidFlags;
        if ((pa & (bytes - 1)) != 0) return PagingError.NotAligned;
        if (!PaFits(pa)) return PagingError.InvalidPhysAddr;
        if (IsBorrowedAddress(va)) return PagingError.BorrowedEntry;
        PagingError error = MapLeaf(va, pa, level, flags, out _);
        if (error != 0)
        {
            // A frame ran out (or was unusable) half way down: give back the tables allocated on the way.
            // Stryker disable once Boolean : "true" only lets Reclaim skip scanning a table the range covers whole, and here
            // none is: the tables below the failure do not exist, and each one above spans 512 times the page or more
            if (error is PagingError.NoMemory or PagingError.InvalidPhysAddr) Reclaim(va, bytes, rangeIsClear: false);
            return error;
        }
        return new TlbFlush<TMeta>(vaddr);
    }

    /// <summary>
    /// Writes one leaf at <paramref name="level"/>, creating missing tables on the way. Arguments are already
    /// checked. On success <paramref name="table"/> is the table that holds the new leaf.
    /// Returns 0 on success. An entry on the way (or at the target) that is neither a table nor a leaf is written over.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe PagingError MapLeaf(ulong va, ulong pa, int level, MappingFlags flags, out TPte* table)
    {
        table = Root();
        for (int l = 0; l < level; l++)
        {
            TPte* e = table + Index(va, l);
            if (IsTable(*e, l))
            {
                table = TableOf(e->Paddr);
            }
            else if (e->IsHuge)
            {
                return PagingError.MappedToHugePage;
            }
            else
            {
                // Empty, or a non-zero entry of no kind (never followed): a new table takes its place.
                PagingError error = TryAllocTable(out PhysAddr next);
                if (error != 0) return error;
                Write(e, TPte.NewTable(next));
                table = TableOf(next);
            }
        }
        TPte* target = table + Index(va, level);
        if (IsLeaf(*target, level)) return PagingError.AlreadyMapped;
        if (IsTable(*target, level))
        {
            PhysAddr sub = target->Paddr;
            if (SubtreeHasMapping(sub, level + 1)) return PagingError.AlreadyMapped;
            if (level == 0 && _shares?[(int)Index(va, 0)] is not null)
            {
                // A root-level huge page (Sv39 1G) over a root slot's table that was shared: refused while it is lent;
                // when no borrower is left, the share record goes with the table.
                int slot = (int)Index(va, 0);
                if (IsLent(slot)) return PagingError.LentEntry;
                _shares![slot] = null;
            }
            // Clear, invalidate, free: on a live table, unlink the empty subtree, let no cached walk reach it (its entries
            // are non-leaf, so the whole TLB), write the block (break-before-make), and only then give the frames back.
            // A table no MMU walks is simply overwritten.
            if (Live)
            {
                Write(target, TPte.Empty);
                TMeta.FlushTlb(null);
            }
            Write(target, TPte.NewPage(new PhysAddr(pa), flags, level != LeafLevel));
            // Stryker disable once Arithmetic : the subtree maps nothing, so no entry in it is a leaf and the level
            // FreeSubtree is told only matters for leaves; level - 1 frees the same tables (tests/Mutation/README.md)
            FreeSubtree(sub, level + 1);
            return 0;
        }
        Write(target, TPte.NewPage(new PhysAddr(pa), flags, level != LeafLevel));
        return 0;
    }

    /// <summary>Removes the mapping that starts at <paramref name="vaddr"/>.</summary>
    /// <returns>
    /// The mapping's frame, size and flush, or: <see cref="PagingError.InvalidVirtAddr"/>,
    /// <see cref="PagingError.NotAligned"/> (not 4K-aligned), <see cref="PagingError.BorrowedEntry"/>,
    /// <see cref="PagingError.NotMapped"/>, <see cref="PagingError.MappedToHugePage"/> (<paramref name="vaddr"/> is
    /// inside a huge page but not its start — the original removed the whole page). Nothing is written on failure, and
    /// nothing is split: <see cref="UnmapRegion"/> of 4 KiB there splits the huge page and removes that page alone.
    /// </returns>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone.</exception>
    /// <exception cref="InvalidOperationException">Called from caller code inside an operation on this table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry on the way points outside the handler's memory (a corrupted table).</exception>
    public unsafe PagingResult<(PhysAddr Paddr, PageSize Size, TlbFlush<TMeta> Flush)> Unmap(VirtAddr vaddr)
    {
        ThrowIfNotWritable();
        ulong va = vaddr.Value;
        if (!TMeta.VaddrIsValid(va)) return PagingError.InvalidVirtAddr;
        if ((va & PageMask) != 0) return PagingError.NotAligned;
        if (IsBorrowedAddress(va)) return PagingError.BorrowedEntry;
        if (!TryFindLeaf(va, out TPte* e, out int level)) return PagingError.NotMapped;
        ulong bytes = SizeAt(level);
        if ((va & (bytes - 1)) != 0) return PagingError.MappedToHugePage;
        PhysAddr pa = e->Paddr;
        Write(e, TPte.Empty);
        Reclaim(va, bytes, rangeIsClear: true); // tables left empty go: the table holds only what its mappings need
        return (pa, (PageSize)bytes, new TlbFlush<TMeta>(vaddr));
    }

    /// <summary>
    /// Translates <paramref name="vaddr"/> (any byte, not only a page start): the physical address of that
    /// byte, the mapping's flags and its page size.
    /// </summary>
    /// <returns>The translation, or <see cref="PagingError.InvalidVirtAddr"/> or <see cref="PagingError.NotMapped"/>.</returns>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry on the way points outside the handler's memory (a corrupted table).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // small: the caller's loop keeps the result in registers
    public unsafe PagingResult<(PhysAddr Paddr, MappingFlags Flags, PageSize Size)> Query(VirtAddr vaddr)
    {
        ulong va = vaddr.Value;
        if (_disposed || !TMeta.VaddrIsValid(va)) return QueryRefused();
        if (typeof(THandler) != typeof(ArenaHandler) || TMeta.Levels is < 3 or > 4) return QueryWalk(va);
        // With ArenaHandler and three or four levels the walk is written out level by level: every level is a constant
        // of TMeta, and each table address becomes a host pointer by the arena's rule for reads (FrameArena.ReadWindow,
        // its base and limit read once per call). An address the arena refuses, or a table with no arena (TryCreate
        // refuses the default handler, a derived type's constructor need not), goes to the general walk, which throws
        // what PhysToHost throws.
        FrameArena? arena = Unsafe.As<THandler, ArenaHandler>(ref _handler).ArenaOrNull;
        if (arena is null) return QueryWalk(va);
        FrameArena.ReadWindow window = arena.Window();
        if (!window.TryPointer(_root.Value, out byte* table)) return QueryWalk(va);
        TPte e = ((TPte*)table)[Index(va, 0)];
        ulong offsetMask; // the offset of va inside the mapping found: its size - 1, a constant at each exit
        if (TMeta.Levels == 4)
        {
            if (!IsTable(e, 0)) { offsetMask = SizeAt(0) - 1; goto Above; }
            if (!window.TryPointer(e.Paddr.Value, out table)) return QueryWalk(va);
            e = ((TPte*)table)[Index(va, 1)];
        }
        // From the 1G level on, the 3- and 4-level shapes are the same.
        if (!IsTable(e, TMeta.Levels - 3)) { offsetMask = SizeAt(TMeta.Levels - 3) - 1; goto Above; }
        if (!window.TryPointer(e.Paddr.Value, out table)) return QueryWalk(va);
        e = ((TPte*)table)[Index(va, TMeta.Levels - 2)];
        if (!IsTable(e, TMeta.Levels - 2)) { offsetMask = SizeAt(TMeta.Levels - 2) - 1; goto Above; }
        if (!window.TryPointer(e.Paddr.Value, out table)) return QueryWalk(va);
        e = ((TPte*)table)[Index(va, LeafLevel)];
        if (!IsLeaf(e, LeafLevel)) return PagingError.NotMapped;
        offsetMask = PageMask;
        goto Hit;
    Above: // an entry above the last level that is no table: a mapping only if it is a huge leaf (see IsLeaf)
        if (!e.IsHuge) return PagingError.NotMapped;
    Hit:
        return (e.Paddr + (va & offsetMask), e.Flags, (PageSize)(offsetMask + 1));
    }

    /// <summary><see cref="Query"/> through the handler at every level: any handler, any level count.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // out of the caller's loop: only other handlers and refused addresses come here
    private unsafe PagingResult<(PhysAddr Paddr, MappingFlags Flags, PageSize Size)> QueryWalk(ulong va)
    {
        if (!TryFindLeaf(va, out TPte* e, out int level)) return PagingError.NotMapped;
        ulong bytes = SizeAt(level);
        return (e->Paddr + (va & (bytes - 1)), e->Flags, (PageSize)bytes);
    }

    /// <summary>The answer of <see cref="Query"/> on a disposed table (it throws) or a non-canonical address.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private PagingError QueryRefused()
    {
        ThrowIfDisposed();
        return PagingError.InvalidVirtAddr;
    }

    /// <summary>Replaces the flags of the mapping that starts at <paramref name="vaddr"/>.</summary>
    /// <returns>
    /// The mapping's size and flush, or (in this order) <see cref="PagingError.InvalidVirtAddr"/>,
    /// <see cref="PagingError.NotAligned"/>, <see cref="PagingError.InvalidFlags"/>, <see cref="PagingError.BorrowedEntry"/>,
    /// <see cref="PagingError.NotMapped"/>, <see cref="PagingError.MappedToHugePage"/> (nothing is split:
    /// <see cref="ProtectRegion"/> of 4 KiB there splits the huge page and protects that page alone).
    /// </returns>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone.</exception>
    /// <exception cref="InvalidOperationException">Called from caller code inside an operation on this table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry on the way points outside the handler's memory (a corrupted table).</exception>
    public unsafe PagingResult<(PageSize Size, TlbFlush<TMeta> Flush)> Protect(VirtAddr vaddr, MappingFlags flags)
    {
        ThrowIfNotWritable();
        ulong va = vaddr.Value;
        if (!TMeta.VaddrIsValid(va)) return PagingError.InvalidVirtAddr;
        if ((va & PageMask) != 0) return PagingError.NotAligned;
        if (!flags.IsValidForMapping()) return PagingError.InvalidFlags;
        if (IsBorrowedAddress(va)) return PagingError.BorrowedEntry;
        if (!TryFindLeaf(va, out TPte* e, out int level)) return PagingError.NotMapped;
        ulong bytes = SizeAt(level);
        if ((va & (bytes - 1)) != 0) return PagingError.MappedToHugePage;
        TPte value = *e;
        value.SetFlags(flags, level != LeafLevel);
        ReplaceLeaf(e, value, va);
        return ((PageSize)bytes, new TlbFlush<TMeta>(vaddr));
    }

    /// <summary>Points the mapping that starts at <paramref name="vaddr"/> at <paramref name="paddr"/> with <paramref name="flags"/>; its size stays.</summary>
    /// <returns>
    /// The mapping's size and flush, or (in this order) <see cref="PagingError.InvalidVirtAddr"/>,
    /// <see cref="PagingError.NotAligned"/> (<paramref name="vaddr"/> not 4K-aligned), <see cref="PagingError.InvalidFlags"/>,
    /// <see cref="PagingError.NotAligned"/> (<paramref name="paddr"/> not 4K-aligned), <see cref="PagingError.InvalidPhysAddr"/>,
    /// <see cref="PagingError.BorrowedEntry"/>, <see cref="PagingError.NotMapped"/> (the original wrote into the absent entry),
    /// <see cref="PagingError.MappedToHugePage"/> (nothing is split), <see cref="PagingError.NotAligned"/> (<paramref name="paddr"/> not aligned to
    /// the mapping's size), <see cref="PagingError.InvalidPhysAddr"/> (the page would end beyond the physical width).
    /// </returns>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone.</exception>
    /// <exception cref="InvalidOperationException">Called from caller code inside an operation on this table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry on the way points outside the handler's memory (a corrupted table).</exception>
    public unsafe PagingResult<(PageSize Size, TlbFlush<TMeta> Flush)> Remap(VirtAddr vaddr, PhysAddr paddr, MappingFlags flags)
    {
        ThrowIfNotWritable();
        ulong va = vaddr.Value, pa = paddr.Value;
        if (!TMeta.VaddrIsValid(va)) return PagingError.InvalidVirtAddr;
        if ((va & PageMask) != 0) return PagingError.NotAligned;
        if (!flags.IsValidForMapping()) return PagingError.InvalidFlags;
        PagingError error = FrameError(pa);
        if (error != 0) return error;
        if (IsBorrowedAddress(va)) return PagingError.BorrowedEntry;
        if (!TryFindLeaf(va, out TPte* e, out int level)) return PagingError.NotMapped;
        ulong bytes = SizeAt(level);
        if ((va & (bytes - 1)) != 0) return PagingError.MappedToHugePage;
        if ((pa & (bytes - 1)) != 0) return PagingError.NotAligned; // pa < 2^PaMaxBits was checked above and covers the whole page
        TPte value = *e;
        value.SetPaddr(paddr);
        value.SetFlags(flags, level != LeafLevel);
        ReplaceLeaf(e, value, va);
        return ((PageSize)bytes, new TlbFlush<TMeta>(vaddr));
    }
}
