using System.Runtime.CompilerServices;

namespace PageTableMultiarch;

public partial class PageTable64<TMeta, TPte, THandler>
{
    /// <summary>Tables freed per whole-TLB invalidation when a range gives back many tables.</summary>
    private const int ReclaimBatch = 64;

    /// <summary>
    /// Gives back every intermediate table under <c>[va, va + size)</c> that no longer holds any entry, bottom up, so the
    /// table keeps only the frames its mappings need: clear the entry that points at it, invalidate (on a live table, one
    /// whole-TLB flush per batch: the cleared entries are non-leaf), then free. The root, borrowed slots and the top table
    /// of a lent slot are never freed. With <paramref name="rangeIsClear"/> the caller knows that every entry inside the
    /// range is unused (an unmap), so a table the range covers whole needs no scan.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe void Reclaim(ulong va, ulong size, bool rangeIsClear)
    {
        if (size == 0) return;
        PhysAddr* pending = stackalloc PhysAddr[ReclaimBatch];
        int count = 0;
        // The walk below counts table positions from 0 (the root covers [0, 2^VaMaxBits)), so an upper-half address
        // loses its sign extension here; with it, the range would seem to run past every root slot above its own.
        ulong width = (1UL << TMeta.VaMaxBits) - 1;
        ReclaimTable(Root(), 0, 0, va & width, (va + (size - 1)) & width, rangeIsClear, pending, ref count);
        FreePending(pending, count);
    }

    /// <summary>Reclaims below the entries of <paramref name="table"/> (at <paramref name="level"/>, first byte
    /// <paramref name="tableVa"/>) that <c>[first, last]</c> touches; true when the table holds no entry afterwards.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per table of the range, each a loop: skip the unoptimized first tier
    private unsafe bool ReclaimTable(TPte* table, int level, ulong tableVa, ulong first, ulong last, bool rangeIsClear,
        PhysAddr* pending, ref int count)
    {
        int shift = Shift(level);
        ulong span = SizeAt(level);
        int from = (int)Index(Math.Max(first, tableVa), level);
        ulong tableLast = tableVa + (span * EntryCount - 1);
        int to = (int)Index(Math.Min(last, tableLast), level);
        // Stryker disable once Logical,Equality,Boolean : a shortcut only: false scans a table the range cleared whole and finds it empty
        bool covered = rangeIsClear && first <= tableVa && last >= tableLast;
        for (int i = from; i <= to; i++)
        {
            TPte* e = table + i;
            if (!IsTable(*e, level)) continue; // leaves (PROT_NONE ones too) stay, and nothing else is followed
            ulong childVa = tableVa | ((ulong)i << shift);
            if (level == 0 && IsBorrowedAddress(childVa)) continue; // another table's subtree: not ours to free
            PhysAddr child = e->Paddr;
            if (!ReclaimTable(TableOf(child), level + 1, childVa, first, last, rangeIsClear, pending, ref count)) continue;
            if (level == 0 && _shares?[i] is not null)
            {
                if (IsLent(i)) continue; // borrowers point at it: it stays while lent
                _shares[i] = null;      // lent to nobody any more: the record goes with the table
            }
            Write(e, TPte.Empty);
            if (count == ReclaimBatch)
            {
                FreePending(pending, count);
                count = 0;
            }
            pending[count++] = child;
        }
        if (covered) return true;
        for (int i = 0; i < EntryCount; i++)
        {
            if (!table[i].IsUnused) return false;
        }
        return true;
    }

    /// <summary>Clear, invalidate, free: the entries that pointed at the pending tables are already cleared.</summary>
    private unsafe void FreePending(PhysAddr* pending, int count)
    {
        if (count == 0) return;
        if (Live) TMeta.FlushTlb(null);
        THandler.DeallocFrames(ref _handler, new ReadOnlySpan<PhysAddr>(pending, count));
    }
}
