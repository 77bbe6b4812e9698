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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe PagingResult<TlbFlushAll<TMeta>> MapRegionCore<TSource>(ulong va, ref TSource source, ulong size,
        MappingFlags flags, bool allowHuge, bool flushTlbByPage) where TSource : struct, IPaddrSource
    {
        PagingError error = 0;
        var flusher = new PageFlusher(flushTlbByPage);
        // A 4K leaf with the flags and no address: each page is this with its frame set (SetPaddr keeps the rest).
        TPte template = TPte.NewPage(default, flags, false);
        ulong cur = va, rest = size;
        try
        {
            while (rest != 0)
            {
                ulong pa = NextPaddr(ref source, cur);
                ulong step;
                int level;
                if (allowHuge && rest >= Size1G && ((cur | pa) & (Size1G - 1)) == 0)
                {
                    step = Size1G;
                    level = LeafLevel - 2;
                }
                else if (allowHuge && rest >= Size2M && ((cur | pa) & (Size2M - 1)) == 0)
                {
                    step = Size2M;
                    level = LeafLevel - 1;
                }
                else
                {
                    step = FrameArena.FrameSize;
                    level = LeafLevel;
                }
                error = FrameError(pa);
                if (error != 0) break;
                if (IsBorrowedAddress(cur)) { error = PagingError.BorrowedEntry; break; }
                error = MapLeaf(cur, pa, level, flags, out TPte* table);
                if (error != 0) break;
                flusher.Page(cur);
                TPte* e = table + Index(cur, level) + 1;
                cur += step; // may wrap to 0 after the last page of the address space
                rest -= step;
                if (level != LeafLevel) continue;

                // Stay in this last-level table while the region does. Inside it no address is 2M-aligned (no huge
                // step) and all lie in the same root slot (no borrowed slot), so only the frame and the entry are checked.
                for (TPte* end = table + EntryCount; rest != 0 && e != end; e++)
                {
                    pa = NextPaddr(ref source, cur);
                    error = FrameError(pa);
                    if (error != 0) break;
                    if (IsLeaf(*e, LeafLevel)) { error = PagingError.AlreadyMapped; break; }
                    TPte entry = template;
                    entry.SetPaddr(new PhysAddr(pa));
                    Write(e, entry);
                    flusher.Page(cur);
                    cur += FrameArena.FrameSize;
                    rest -= FrameArena.FrameSize;
                }
                if (error != 0) break;
            }
        }
        catch
        {
            // The source (or the memory behind the handler) threw: take back the pages mapped so far, then let it go on.
            UndoMapRegion(va, size - rest, size);
            throw;
        }

        if (error != 0)
        {
            UndoMapRegion(va, size - rest, size);
            return error;
        }
        flusher.Finish();
        return default(TlbFlushAll<TMeta>);
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
    /// Removes every mapping in <c>[vaddr, vaddr + size)</c>. The region must be covered exactly by mappings lying
    /// inside it: a hole gives <see cref="PagingError.NotMapped"/>, a huge page crossing either end
    /// <see cref="PagingError.MappedToHugePage"/>, a borrowed slot <see cref="PagingError.BorrowedEntry"/> — whichever
    /// comes first in address order — and then nothing changes.
    /// </summary>
    public PagingResult<TlbFlushAll<TMeta>> UnmapRegion(VirtAddr vaddr, ulong size, bool flushTlbByPage)
    {
        ThrowIfNotWritable();
        ulong va = vaddr.Value;
        PagingError error = CheckRegion(va, size);
        if (error != 0) return error;
        var check = new NoAction();
        error = ForEachLeaf(va, size, ref check);
        if (error != 0) return error;
        var clear = new ClearLeaf { Flusher = new PageFlusher(flushTlbByPage) };
        ForEachLeaf(va, size, ref clear);
        clear.Flusher.Finish();
        Reclaim(va, size, rangeIsClear: true);
        return default(TlbFlushAll<TMeta>);
    }

    /// <summary>
    /// Replaces the flags of every mapping in <c>[vaddr, vaddr + size)</c>, under the coverage rule of
    /// <see cref="UnmapRegion"/>; all or nothing.
    /// </summary>
    public PagingResult<TlbFlushAll<TMeta>> ProtectRegion(VirtAddr vaddr, ulong size, MappingFlags flags, bool flushTlbByPage)
    {
        ThrowIfNotWritable();
        ulong va = vaddr.Value;
        PagingError error = CheckRegion(va, size);
        if (error != 0) return error;
        if (!flags.IsValidForMapping()) return PagingError.InvalidFlags;
        var check = new NoAction();
        error = ForEachLeaf(va, size, ref check);
        if (error != 0) return error;
        var protect = new SetFlagsLeaf { Flags = flags, Flusher = new PageFlusher(flushTlbByPage), BreakBeforeMake = TMeta.BreakBeforeMake && Live };
        ForEachLeaf(va, size, ref protect);
        protect.Flusher.Finish();
        return default(TlbFlushAll<TMeta>);
    }

    /// <summary>Checks a region's start, alignment, overflow and end; 0 when the region is acceptable.</summary>
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

            // Stay in this last-level table while the region does (same root slot, so no borrowed-slot check).
            for (TPte* end = table + EntryCount; rest != 0 && ++e != end;)
            {
                if (!IsLeaf(*e, LeafLevel)) return PagingError.NotMapped;
                action.Apply(e, false, cur);
                cur += FrameArena.FrameSize;
                rest -= FrameArena.FrameSize;
            }
        }
        return 0;
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

    private struct SetFlagsLeaf : ILeafAction
    {
        public MappingFlags Flags;
        public PageFlusher Flusher;
        public bool BreakBeforeMake; // applies: a live table of an architecture that needs it

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public unsafe void Apply(TPte* entry, bool huge, ulong va)
        {
            TPte value = *entry;
            value.SetFlags(Flags, huge);
            // The address stays: only the memory type matters; and only between two valid leaves (PROT_NONE is invalid).
            if (BreakBeforeMake && entry->IsPresent && value.IsPresent && MemoryTypeDiffers(*entry, value))
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
