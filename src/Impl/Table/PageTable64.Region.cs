using System.Runtime.CompilerServices;

namespace PageTableMultiarch;

/// <summary>Gives the physical address for each step of a region mapping (a struct, so no delegate call per page).</summary>
public interface IPaddrSource
{
    /// <summary>The physical address that the page starting at <paramref name="vaddr"/> maps to.</summary>
    PhysAddr GetPaddr(VirtAddr vaddr);
}

public partial class PageTable64<TMeta, TPte, THandler>
{
    /// <summary>
    /// With <c>flushTlbByPage</c>, region operations flush page by page up to this many pages and then
    /// switch to one whole-TLB flush at the end (per-page invalidation of a large region costs more than
    /// refilling the TLB).
    /// </summary>
    public const int FlushByPageLimit = 64;

    private const ulong Size2M = 0x20_0000;
    private const ulong Size1G = 0x4000_0000;

    /// <summary>
    /// Maps <c>[vaddr, vaddr + size)</c>, asking <paramref name="getPaddr"/> for each page's frame (the original's
    /// <c>map_region</c>). With <paramref name="allowHuge"/>, 1G and 2M pages are used where the virtual address, the
    /// physical address and the remaining size allow. All or nothing: on failure every page this call mapped is
    /// removed again. See <c>docs/semantics.md</c> for the order of checks.
    /// <para>If <paramref name="getPaddr"/> throws, the pages this call mapped are removed and the exception is rethrown.
    /// The callback may read this table (<c>Query</c>, <c>Walk</c>); changing or disposing it from there throws
    /// <see cref="InvalidOperationException"/>.</para>
    /// </summary>
    /// <returns>The whole-TLB flush, or the first error.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="getPaddr"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone (also when the callback disposed the arena).</exception>
    /// <exception cref="InvalidOperationException">Called from caller code inside an operation on this table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry on the way points outside the handler's memory (a corrupted table).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per region: without it, a short run's first calls go through unoptimized code
    public PagingResult<TlbFlushAll<TMeta>> MapRegion(VirtAddr vaddr, Func<VirtAddr, PhysAddr> getPaddr, ulong size,
        MappingFlags flags, bool allowHuge, bool flushTlbByPage)
    {
        ArgumentNullException.ThrowIfNull(getPaddr);
        var source = new DelegateSource(getPaddr);
        return MapRegion(vaddr, ref source, size, flags, allowHuge, flushTlbByPage);
    }

    /// <summary>
    /// Maps <c>[vaddr, vaddr + size)</c> to the contiguous physical range starting at <paramref name="paddr"/>.
    /// Same rules as the callback form, without a call per page.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone.</exception>
    /// <exception cref="InvalidOperationException">Called from caller code inside an operation on this table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry on the way points outside the handler's memory (a corrupted table).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per region: without it, a short run's first calls go through unoptimized code
    public PagingResult<TlbFlushAll<TMeta>> MapRegion(VirtAddr vaddr, PhysAddr paddr, ulong size,
        MappingFlags flags, bool allowHuge, bool flushTlbByPage)
    {
        var source = new ContiguousSource(vaddr.Value, paddr.Value);
        return MapRegion(vaddr, ref source, size, flags, allowHuge, flushTlbByPage);
    }

    /// <summary>
    /// The region mapping core, specialized per <typeparamref name="TSource"/>: the same rules as the callback form, with
    /// <paramref name="source"/> asked for each page's frame. If it throws, the pages this call mapped are removed and
    /// the exception is rethrown.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone (also when the source disposed the arena).</exception>
    /// <exception cref="InvalidOperationException">Called from caller code inside an operation on this table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry on the way points outside the handler's memory (a corrupted table).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per region: without it, a short run's first calls go through unoptimized code
    public PagingResult<TlbFlushAll<TMeta>> MapRegion<TSource>(VirtAddr vaddr, ref TSource source, ulong size,
        MappingFlags flags, bool allowHuge, bool flushTlbByPage) where TSource : struct, IPaddrSource
    {
        ThrowIfNotWritable();
        ulong va = vaddr.Value;
        PagingError error = CheckRegion(va, size);
        if (error != 0) return error;
        if (!flags.IsValidForMapping()) return PagingError.InvalidFlags;

        // The contiguous source runs no caller code: no re-entry, no exception to undo.
        if (typeof(TSource) == typeof(ContiguousSource)) return MapRegionCore(va, ref source, size, flags, allowHuge, flushTlbByPage);
        _busy = true;
        try
        {
            return MapRegionCore(va, ref source, size, flags, allowHuge, flushTlbByPage);
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>
    /// The cursor: each run of pages of one size that lie in one table costs one descent from the root (<c>MapLeaf</c>,
    /// which creates the tables on the way), then a tight loop in that table (<see cref="FillRun"/>). A run ends at the
    /// table's end, at the end of the region, where the next page needs another size, or at anything but an empty entry;
    /// the next step then goes through the descent again, which applies every rule of <c>Map</c> (the frame already asked
    /// for is kept: the source is asked once per page).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe PagingResult<TlbFlushAll<TMeta>> MapRegionCore<TSource>(ulong va, ref TSource source, ulong size,
        MappingFlags flags, bool allowHuge, bool flushTlbByPage) where TSource : struct, IPaddrSource
    {
        if (size == 0) return default(TlbFlushAll<TMeta>);
        PagingError error = 0;
        var flusher = new PageFlusher(flushTlbByPage);
        ulong mapped = 0; // bytes from va on that this call has mapped
        try
        {
            ulong pa = NextPaddr(ref source, va);
            while (true)
            {
                ulong cur = va + mapped, rest = size - mapped; // cur may wrap to 0 after the last page of the address space
                int level = LeafLevel;
                if (allowHuge && rest >= Size1G && ((cur | pa) & (Size1G - 1)) == 0) level = LeafLevel - 2;
                else if (allowHuge && rest >= Size2M && ((cur | pa) & (Size2M - 1)) == 0) level = LeafLevel - 1;
                error = FrameError(pa);
                if (error != 0) break;
                if (IsBorrowedAddress(cur)) { error = PagingError.BorrowedEntry; break; }
                error = MapLeaf(cur, pa, level, flags, out TPte* table);
                if (error != 0) break;
                flusher.Page(cur);
                ulong step = SizeAt(level);
                mapped += step;
                if (mapped == size) break;
                pa = NextPaddr(ref source, cur + step);
                if (level == 0) continue; // root entries lie in different root slots (borrowed or not): one descent each

                // Each leaf of the run is this template with its frame set (SetPaddr keeps every other bit).
                TPte template = TPte.NewPage(default, flags, level != LeafLevel);
                FillRun(table + Index(cur, level) + 1, table + EntryCount, cur + step, size - mapped, step, template,
                    ref pa, ref source, ref flusher, ref mapped);
                if (mapped == size) break;
            }
        }
        catch
        {
            // The source (or the memory behind the handler) threw: take back the pages mapped so far, then let it go on.
            UndoMapRegion(va, mapped, size);
            throw;
        }

        if (error != 0)
        {
            UndoMapRegion(va, mapped, size);
            return error;
        }
        flusher.Finish();
        return default(TlbFlushAll<TMeta>);
    }

    /// <summary>
    /// The loop of the cursor: writes leaves of <paramref name="step"/> bytes into the entries from <paramref name="e"/>
    /// up to <paramref name="end"/> (the end of their table), for the pages from <paramref name="cur"/> on, the first of
    /// which has the frame <paramref name="pa"/>, while the <paramref name="rest"/> of the region lasts and each frame and
    /// entry suit a leaf here: a frame aligned to the step and inside the physical width, and an empty entry. The table is
    /// below the root, so all its pages lie in one root slot (no borrowed slot on the way), and inside it no page is
    /// aligned to the next larger size (no larger step): nothing else can change.
    /// <paramref name="mapped"/> grows by every leaf written, also when the source throws; on return <paramref name="pa"/>
    /// is the frame of the first page not written if the region goes on. Kept apart from the caller's exception handler,
    /// so that the loop's counters stay in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe void FillRun<TSource>(TPte* e, TPte* end, ulong cur, ulong rest, ulong step, TPte template,
        ref ulong pa, ref TSource source, ref PageFlusher flusher, ref ulong mapped) where TSource : struct, IPaddrSource
    {
        ulong frame = pa, start = mapped, written = 0;
        for (; e != end; e++)
        {
            // Stryker disable once Equality : ending a run early only sends the next page through the descent, which maps it the same way
            if (rest < step) break;
            // Stryker disable once Bitwise : the same (a frame that fits, sent through the descent); the mutants that keep a bad frame here are killed
            if (((frame & (step - 1)) | (frame >> TMeta.PaMaxBits)) != 0) break;
            if (!e->IsUnused) break;
            TPte entry = template;
            entry.SetPaddr(new PhysAddr(frame));
            Write(e, entry);
            flusher.Page(cur);
            written += step;
            mapped = start + written;
            rest -= step;
            if (rest == 0) break;
            cur += step;
            // The contiguous source runs no code: its next frame is this one plus the step.
            frame = typeof(TSource) == typeof(ContiguousSource) ? frame + step : NextPaddr(ref source, cur);
        }
        pa = frame;
    }

    /// <summary>The frame of the page at <paramref name="va"/>; after caller code ran, checks that the memory is still there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong NextPaddr<TSource>(ref TSource source, ulong va) where TSource : struct, IPaddrSource
    {
        ulong pa = source.GetPaddr(new VirtAddr(va)).Value;
        if (typeof(TSource) != typeof(ContiguousSource)) ThrowIfMemoryReleased();
        return pa;
    }

    /// <summary>Removes the <paramref name="bytes"/> mapped from <paramref name="va"/> by a region map that failed, and on a
    /// live table invalidates them (no flush is returned on failure, and a walk may have cached them); then gives back the
    /// tables in the <paramref name="size"/> bytes of the region that hold nothing. Does nothing once the memory is gone.</summary>
    private void UndoMapRegion(ulong va, ulong bytes, ulong size)
    {
        if (_handler.IsMemoryReleased) return;
        var undo = new ClearLeaf { Flusher = new PageFlusher(Live) };
        ForEachLeaf(va, bytes, ref undo);
        undo.Flusher.Finish();
        Reclaim(va, size, rangeIsClear: false);
    }

    /// <summary>
    /// Removes every mapping in <c>[vaddr, vaddr + size)</c>. Every byte of the region must be mapped: a hole gives
    /// <see cref="PagingError.NotMapped"/>, a borrowed slot <see cref="PagingError.BorrowedEntry"/> — whichever comes
    /// first in address order — and then nothing changes. A huge page that crosses an end of the region is split first
    /// (the original refused or panicked): the part outside the region stays mapped, as 2M pages where it can and 4K
    /// pages only in the 2M piece the end cuts, with the same frames and flags. The tables a split needs are all taken
    /// before anything changes: <see cref="PagingError.NoMemory"/> (or <see cref="PagingError.InvalidPhysAddr"/> for an
    /// unusable frame from the handler) changes nothing and gives every frame back. See docs/semantics.md, "Split".
    /// </summary>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone.</exception>
    /// <exception cref="InvalidOperationException">Called from caller code inside an operation on this table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry on the way points outside the handler's memory (a corrupted table).</exception>
    public PagingResult<TlbFlushAll<TMeta>> UnmapRegion(VirtAddr vaddr, ulong size, bool flushTlbByPage)
    {
        ThrowIfNotWritable();
        ulong va = vaddr.Value;
        PagingError error = CheckRegion(va, size);
        if (error != 0) return error;
        var check = new NoAction();
        error = ForEachLeaf(va, size, ref check);
        if (error == PagingError.MappedToHugePage) error = SplitCutPages(va, size); // a huge page crosses an end
        if (error != 0) return error;
        var clear = new ClearLeaf { Flusher = new PageFlusher(flushTlbByPage) };
        ForEachLeaf(va, size, ref clear);
        clear.Flusher.Finish();
        Reclaim(va, size, rangeIsClear: true);
        return default(TlbFlushAll<TMeta>);
    }

    /// <summary>
    /// Replaces the flags of every mapping in <c>[vaddr, vaddr + size)</c>, under the coverage rule of
    /// <see cref="UnmapRegion"/>, splitting a huge page that crosses an end of the region as it does; all or nothing.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone.</exception>
    /// <exception cref="InvalidOperationException">Called from caller code inside an operation on this table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry on the way points outside the handler's memory (a corrupted table).</exception>
    public PagingResult<TlbFlushAll<TMeta>> ProtectRegion(VirtAddr vaddr, ulong size, MappingFlags flags, bool flushTlbByPage)
    {
        ThrowIfNotWritable();
        ulong va = vaddr.Value;
        PagingError error = CheckRegion(va, size);
        if (error != 0) return error;
        if (!flags.IsValidForMapping()) return PagingError.InvalidFlags;
        var check = new NoAction();
        error = ForEachLeaf(va, size, ref check);
        if (error == PagingError.MappedToHugePage) error = SplitCutPages(va, size); // a huge page crosses an end
        if (error != 0) return error;
        var protect = new SetFlagsLeaf
        {
            Page = TPte.NewPage(default, flags, false),
            Huge = TPte.NewPage(default, flags, true),
            Flusher = new PageFlusher(flushTlbByPage),
            Live = Live,
        };
        ForEachLeaf(va, size, ref protect);
        protect.Flusher.Finish();
        return default(TlbFlushAll<TMeta>);
    }

    /// <summary>Checks a region's start, alignment, overflow and end; 0 when the region is acceptable.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // a few compares: a call would cost as much
    private static PagingError CheckRegion(ulong va, ulong size)
    {
        if (!TMeta.VaddrIsValid(va)) return PagingError.InvalidVirtAddr;
        if (((va | size) & PageMask) != 0) return PagingError.NotAligned;
        if (size == 0) return 0;
        if (size - 1 > ulong.MaxValue - va) return PagingError.RangeOverflow;
        ulong last = va + (size - 1);
        if (!TMeta.VaddrIsValid(last) || ((va ^ last) >> 63) != 0) return PagingError.InvalidVirtAddr;
        return 0;
    }

    /// <summary>
    /// Visits, in address order, the leaves that cover <c>[va, va + size)</c>, stopping at the first hole, huge page
    /// crossing the region's ends, or borrowed slot. Stays in one last-level table while the region does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe PagingError ForEachLeaf<TAction>(ulong va, ulong size, ref TAction action) where TAction : struct, ILeafAction
    {
        ulong cur = va, rest = size;
        while (rest != 0)
        {
            if (IsBorrowedAddress(cur)) return PagingError.BorrowedEntry;
            if (!TryFindLeaf(cur, out TPte* e, out int level, out TPte* table)) return PagingError.NotMapped;
            ulong step = SizeAt(level);
            if ((cur & (step - 1)) != 0 || step > rest) return PagingError.MappedToHugePage;
            action.Apply(e, level != LeafLevel, cur);
            cur += step;
            rest -= step;
            if (level != LeafLevel) continue;

            if (!StayInTable(e, table, ref cur, ref rest, ref action)) return PagingError.NotMapped;
        }
        return 0;
    }

    /// <summary>
    /// After the leaf <paramref name="e"/> of the last-level <paramref name="table"/>: stays in that table while the
    /// region does (same root slot, so no borrowed-slot check), applying <paramref name="action"/> to each 4K leaf and
    /// moving <paramref name="cur"/> and <paramref name="rest"/> past it. False at the first entry that is no leaf (a hole).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool StayInTable<TAction>(TPte* e, TPte* table, ref ulong cur, ref ulong rest, ref TAction action)
        where TAction : struct, ILeafAction
    {
        TPte* next = e + 1;
        TPte* stop = next + (nint)Math.Min(rest / FrameArena.FrameSize, (ulong)(table + EntryCount - next));
        TPte* reached = ApplyRun(next, stop, cur, ref action);
        ulong done = (ulong)(reached - next) * FrameArena.FrameSize;
        cur += done;
        rest -= done;
        return reached == stop;
    }

    /// <summary>
    /// Applies <paramref name="action"/> to the entries <c>[e, stop)</c> of one last-level table, <paramref name="cur"/>
    /// being the address that <paramref name="e"/> maps, up to the first entry that is no leaf; returns that entry, or
    /// <paramref name="stop"/>. A loop of its own, compiled apart, so that its few values stay in registers whatever the
    /// profile of the walk around it (see BENCHMARKS.md); the action is copied in and out, so that writing an entry does
    /// not make the loop read the action's fields again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static unsafe TPte* ApplyRun<TAction>(TPte* e, TPte* stop, ulong cur, ref TAction action) where TAction : struct, ILeafAction
    {
        TAction local = action;
        for (; e != stop; e++, cur += FrameArena.FrameSize)
        {
            if (!IsLeaf(*e, LeafLevel)) break;
            local.Apply(e, false, cur);
        }
        action = local;
        return e;
    }

    /// <summary>What <see cref="ForEachLeaf"/> does with each leaf.</summary>
    private interface ILeafAction
    {
        unsafe void Apply(TPte* entry, bool huge, ulong va);
    }

    private struct NoAction : ILeafAction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly unsafe void Apply(TPte* entry, bool huge, ulong va) { }
    }

    private struct ClearLeaf : ILeafAction
    {
        public PageFlusher Flusher;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public unsafe void Apply(TPte* entry, bool huge, ulong va)
        {
            Write(entry, TPte.Empty);
            Flusher.Page(va);
        }
    }

    /// <summary>
    /// Gives each leaf new flags. A leaf is the address and the encoding of its flags and size, nothing else
    /// (<c>SetFlags</c> keeps the address and rewrites every other bit): so the new entry is the leaf made once for the
    /// region at address 0, with the entry's address put in, and the flags are encoded once per region, not per page.
    /// </summary>
    private struct SetFlagsLeaf : ILeafAction
    {
        public TPte Page; // a 4K leaf with the new flags, address 0
        public TPte Huge; // the same as a huge page
        public PageFlusher Flusher;
        public bool Live; // the table may be in use by an MMU (break-before-make applies there, on the architectures that need it)

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public unsafe void Apply(TPte* entry, bool huge, ulong va)
        {
            TPte value = huge ? Huge : Page;
            value.SetPaddr(entry->Paddr);
            // The address stays: only the memory type matters; and only between two valid leaves (PROT_NONE is invalid).
            if (TMeta.BreakBeforeMake && Live && entry->IsPresent && value.IsPresent && MemoryTypeDiffers(*entry, value))
                Break(entry, va);
            Write(entry, value);
            Flusher.Page(va);
        }
    }

    /// <summary>Per-page TLB flushes up to <see cref="FlushByPageLimit"/>, then one whole flush.</summary>
    private struct PageFlusher(bool enabled)
    {
        private int _count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Page(ulong va)
        {
            if (!enabled) return;
            if (_count < FlushByPageLimit) TMeta.FlushTlb(new VirtAddr(va));
            _count++;
        }

        public readonly void Finish()
        {
            if (enabled && _count > FlushByPageLimit) TMeta.FlushTlb(null);
        }
    }

    private readonly struct DelegateSource(Func<VirtAddr, PhysAddr> getPaddr) : IPaddrSource
    {
        public PhysAddr GetPaddr(VirtAddr vaddr) => getPaddr(vaddr);
    }

    private readonly struct ContiguousSource(ulong vaStart, ulong paStart) : IPaddrSource
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public PhysAddr GetPaddr(VirtAddr vaddr) => new(paStart + (vaddr.Value - vaStart));
    }
}
