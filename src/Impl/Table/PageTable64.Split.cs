using System.Runtime.CompilerServices;

namespace PageTableMultiarch;

public partial class PageTable64<TMeta, TPte, THandler>
{
    /// <summary>
    /// The most tables one region split needs: each end of the region cuts at most one huge page; a cut 1G page needs a
    /// table of 2M pieces and, for each end inside it that is not 2M-aligned, a table of 4K pieces for the 2M piece that
    /// end cuts. Two 1G pages cut by one end each: 2 + 2; one 1G page cut by both ends: 1 + 2.
    /// </summary>
    private const int MaxSplitTables = 4;

    /// <summary>
    /// The huge page that one end of a region cuts, and how it is split: a table of pieces one level down and, for a 1G
    /// page, up to two of those pieces split once more into 4K pages (the 2M pieces that contain an end of the region
    /// that is not 2M-aligned). <see cref="Entry"/> is null when this end cuts nothing.
    /// </summary>
    private unsafe struct CutPage
    {
        public TPte* Entry;
        public int Level;
        public ulong Va;
        public int SubA, SubB; // pieces split again, or -1

        public readonly int Tables => Entry == null ? 0 : 1 + (SubA >= 0 ? 1 : 0) + (SubB >= 0 ? 1 : 0);
    }

    /// <summary>
    /// For <c>UnmapRegion</c> and <c>ProtectRegion</c> once their scan met a huge page crossing an end of
    /// <c>[va, va + size)</c>: checks that the whole region is mapped (<see cref="PagingError.BorrowedEntry"/> or
    /// <see cref="PagingError.NotMapped"/>, the first in address order, and then nothing is split), takes every table the
    /// split needs from the handler (<see cref="PagingError.NoMemory"/> or <see cref="PagingError.InvalidPhysAddr"/>
    /// with every frame given back and nothing changed), then splits each cut huge page as little as possible: its pieces
    /// one level down keep its frames and flags, and only a 2M piece that an end of the region still cuts becomes 4K
    /// pages. Afterwards the region is covered exactly by mappings that lie inside it, and every address keeps its
    /// translation. 0 on success.
    /// </summary>
    private unsafe PagingError SplitCutPages(ulong va, ulong size)
    {
        PagingError error = ScanCovered(va, size);
        if (error != 0) return error;
        ulong end = va + size; // 0 when the region ends at 2^64: then nothing is cut at the end
        CutPage first = FindCut(va, va, end);
        CutPage second = FindCut(va + (size - 1), va, end);
        if (second.Entry == first.Entry) second.Entry = null; // one huge page cut at both ends

        // Every frame first: a split that cannot finish does not start.
        int needed = first.Tables + second.Tables;
        ulong* frames = stackalloc ulong[MaxSplitTables];
        for (int i = 0; i < needed; i++)
        {
            error = TryAllocTable(out PhysAddr frame);
            if (error != 0)
            {
                // Never linked, so no walk can have seen them: they go back without an invalidation.
                while (i > 0) _handler.DeallocFrame(new PhysAddr(frames[--i]));
                return error;
            }
            frames[i] = frame.Value;
        }
        int next = 0;
        if (first.Entry != null) Split(first, frames, ref next);
        if (second.Entry != null) Split(second, frames, ref next);
        return 0;
    }

    /// <summary>
    /// The region scan that allows huge pages crossing its ends: <see cref="PagingError.BorrowedEntry"/> at the first
    /// borrowed slot or <see cref="PagingError.NotMapped"/> at the first hole, whichever comes first in address order;
    /// 0 when every byte of <c>[va, va + size)</c> is mapped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe PagingError ScanCovered(ulong va, ulong size)
    {
        ulong cur = va, rest = size;
        while (rest != 0)
        {
            if (IsBorrowedAddress(cur)) return PagingError.BorrowedEntry;
            if (!TryFindLeaf(cur, out TPte* e, out int level, out TPte* table)) return PagingError.NotMapped;
            ulong span = SizeAt(level);
            ulong step = Math.Min(span - (cur & (span - 1)), rest); // to the end of cur's page, or of the region
            cur += step;
            rest -= step;
            if (level != LeafLevel) continue;

            var check = new NoAction(); // mapped: a valid or a PROT_NONE 4K page
            if (!StayInTable(e, table, ref cur, ref rest, ref check)) return PagingError.NotMapped;
        }
        return 0;
    }

    /// <summary>
    /// The huge page that covers <paramref name="address"/> if an end of the region <c>[va, end)</c> lies strictly inside
    /// it, and the pieces of it that must be split once more. The address is mapped (the scan passed).
    /// </summary>
    private unsafe CutPage FindCut(ulong address, ulong va, ulong end)
    {
        var cut = new CutPage { SubA = -1, SubB = -1 };
        TryFindLeaf(address, out TPte* e, out int level); // a 4K page is never cut: both tests below fail for it
        ulong span = SizeAt(level), start = address & ~(span - 1);
        // An end cuts the page when it lies after the page's first byte and before its end. The page covers va or the
        // region's last byte, so va is never past it and end is always after its first byte (end = 0, a region ending at
        // 2^64, gives end - start >= span).
        bool cutsAtVa = va > start;
        bool cutsAtEnd = end - start < span;
        if (!cutsAtVa && !cutsAtEnd) return cut;
        cut.Entry = e;
        cut.Level = level;
        cut.Va = start;
        // The pieces one level down that an end still cuts are split again. For a 2M page the pieces are 4K pages, which
        // no end (4K-aligned) cuts.
        int shift = Shift(level + 1);
        ulong piece = SizeAt(level + 1);
        if (cutsAtVa && (va & (piece - 1)) != 0) cut.SubA = (int)((va - start) >> shift);
        if (cutsAtEnd && (end & (piece - 1)) != 0)
        {
            int sub = (int)((end - start) >> shift);
            if (sub != cut.SubA) cut.SubB = sub;
        }
        return cut;
    }

    /// <summary>
    /// Splits the huge page of <paramref name="cut"/>: fills a new table with its pieces (and the tables of the pieces
    /// split again) while no walk can reach them, then links it in place of the huge page (<see cref="LinkSplit"/>).
    /// </summary>
    private unsafe void Split(CutPage cut, ulong* frames, ref int next)
    {
        TPte huge = *cut.Entry;
        ulong pa = huge.Paddr.Value;
        MappingFlags flags = huge.Flags;
        int level = cut.Level + 1;
        var top = new PhysAddr(frames[next++]);
        TPte* table = TableOf(top);
        FillPieces(table, pa, flags, level, cut.SubA, cut.SubB);
        if (cut.SubA >= 0) SplitPiece(table, cut.SubA, pa, flags, level, new PhysAddr(frames[next++]));
        if (cut.SubB >= 0) SplitPiece(table, cut.SubB, pa, flags, level, new PhysAddr(frames[next++]));
        LinkSplit(cut.Entry, top, cut.Va);
    }

    /// <summary>Fills <paramref name="sub"/> with the 4K pieces of piece <paramref name="index"/> of a split page at
    /// <paramref name="pa"/>, whose pieces sit at <paramref name="level"/>, and points that piece's entry at it.</summary>
    private unsafe void SplitPiece(TPte* table, int index, ulong pa, MappingFlags flags, int level, PhysAddr sub)
    {
        FillPieces(TableOf(sub), pa + ((ulong)index << Shift(level)), flags, level + 1, -1, -1);
        Write(table + index, TPte.NewTable(sub));
    }

    /// <summary>
    /// Writes into a table no walk can reach the 512 leaves at <paramref name="level"/> that map the page at
    /// <paramref name="pa"/> with <paramref name="flags"/>: entry i maps <paramref name="pa"/> + i pieces. Entries
    /// <paramref name="skipA"/> and <paramref name="skipB"/> are left for the tables of pieces split again.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe void FillPieces(TPte* table, ulong pa, MappingFlags flags, int level, int skipA, int skipB)
    {
        int shift = Shift(level);
        // A leaf of this level with the flags and no address: each piece is this with its frame set (SetPaddr keeps the rest).
        TPte template = TPte.NewPage(default, flags, level != LeafLevel);
        for (int i = 0; i < EntryCount; i++)
        {
            if (i == skipA || i == skipB) continue;
            TPte piece = template;
            piece.SetPaddr(new PhysAddr(pa + ((ulong)i << shift)));
            Write(table + i, piece);
        }
    }

    /// <summary>
    /// Replaces the huge leaf at <paramref name="entry"/> (first byte <paramref name="va"/>) by a pointer to the filled
    /// table <paramref name="table"/>, which maps the same addresses to the same frames with the same flags, in the order
    /// the architecture requires on a live table:
    /// <list type="bullet">
    /// <item>break-before-make (<see cref="IPagingMetaData.BreakBeforeMake"/>, AArch64: a change of block size needs it,
    /// Arm ARM D8.16.1, unless FEAT_BBM, which the library does not assume): the block becomes invalid, the page's TLB
    /// entries are invalidated (<c>tlbi vaae1is</c> removes every entry for the block), then the table descriptor is
    /// written;</item>
    /// <item>elsewhere the pointer is written in place, then the huge page's TLB entries are invalidated before any piece
    /// changes. x86_64 (Intel SDM Vol. 3A §4.10.2.3, §4.10.4.1): after a page-size change the TLB may hold the large and
    /// the small translation and use either, which is harmless only while they agree; <c>invlpg</c> of the large page
    /// removes all its entries. RISC-V: a leaf PTE was modified, so <c>sfence.vma</c> with an address in the page.
    /// LoongArch: <c>invtlb</c> of the huge page's entry.</item>
    /// </list>
    /// A PROT_NONE huge page is invalid already, which is what the break would make it: its pointer is written in place
    /// on AArch64 too, and then the page is invalidated as elsewhere (RISC-V may cache an invalid entry).
    /// The table's own TLB maintenance of the pieces' later changes is the ordinary one (the flush returned, or the
    /// per-page flushes). A table that is not live writes the pointer and flushes nothing.
    /// </summary>
    private unsafe void LinkSplit(TPte* entry, PhysAddr table, ulong va)
    {
        bool breakFirst = TMeta.BreakBeforeMake && Live && entry->IsPresent;
        if (breakFirst) Break(entry, va);
        Write(entry, TPte.NewTable(table));
        if (Live && !breakFirst) TMeta.FlushTlb(new VirtAddr(va));
    }
}
