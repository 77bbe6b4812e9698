namespace PageTableMultiarch;

public partial class PageTable64<TMeta, TPte, THandler>
{
    /// <summary>
    /// Shares the root entries of <paramref name="other"/> that cover <c>[start, start + size)</c> (the original's
    /// <c>copy_from</c>): whole root slots are copied, so all of <paramref name="other"/>'s mappings in those slots
    /// become visible here. The slots become <em>borrowed</em>: readable through <see cref="Query"/> and
    /// <see cref="Walk(int, WalkCallback{TPte}?, WalkCallback{TPte}?)"/>, but every change under them fails with
    /// <see cref="PagingError.BorrowedEntry"/>.
    /// <para>Ownership: the subtrees are shared, not copied. Later changes that <paramref name="other"/> makes inside those
    /// slots show through here. A shared subtree is counted: it is freed when the last table that holds it — its owner
    /// or any borrower, in any order — is disposed or copies something else into the slot; so no table is ever freed
    /// while another live table points at it. A slot of this table that is lent to another table
    /// (<see cref="IsLentSlot"/>) cannot be copied over (<see cref="PagingError.LentEntry"/>), which also refuses every
    /// cycle (copying a slot back into the table it came from). This table's own, unlent subtrees in the slots are freed
    /// first; a borrowed slot is simply let go of.</para>
    /// </summary>
    /// <returns>
    /// Success, or <see cref="PagingError.InvalidVirtAddr"/>, <see cref="PagingError.NotAligned"/> (4K),
    /// <see cref="PagingError.RangeOverflow"/>, <see cref="PagingError.InvalidVirtAddr"/> (last byte),
    /// <see cref="PagingError.IncompatibleTable"/> when <paramref name="other"/> is this table or uses another handler,
    /// and <see cref="PagingError.LentEntry"/> when one of the slots is lent; nothing changes on failure.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">This table, <paramref name="other"/>, or their memory is gone.</exception>
    /// <exception cref="InvalidOperationException">Called from caller code inside an operation on this table.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry on the way points outside the handler's memory (a corrupted table).</exception>
    public unsafe PagingResult CopyFrom(PageTable64<TMeta, TPte, THandler> other, VirtAddr start, ulong size)
    {
        ThrowIfNotWritable();
        ArgumentNullException.ThrowIfNull(other);
        other.ThrowIfDisposed();
        ulong va = start.Value;
        PagingError error = CheckRegion(va, size);
        if (error != 0) return error;
        if (ReferenceEquals(other, this) || !EqualityComparer<THandler>.Default.Equals(_handler, other._handler))
            return PagingError.IncompatibleTable;
        if (size == 0) return PagingResult.Ok;

        int first = (int)Index(va, 0), last = (int)Index(va + (size - 1), 0);
        for (int i = first; i <= last; i++)
        {
            if (IsLent(i)) return PagingError.LentEntry;
        }
        TPte* dst = Root();
        TPte* src = other.Root();
        // On a live table: clear every slot that changes, then one whole invalidation removes every cached walk through
        // the old entries (break-before-make for a table descriptor replaced by another, and clear-invalidate-free for
        // the old tables). Then each slot gets its new entry, and only after that are the old tables let go of.
        TPte* old = stackalloc TPte[EntryCount];
        bool cleared = false;
        for (int i = first; i <= last; i++)
        {
            TPte* e = dst + i;
            old[i] = *e;
            if (Live && e->IsPresent && e->Bits != src[i].Bits)
            {
                Write(e, TPte.Empty);
                cleared = true;
            }
        }
        if (cleared) TMeta.FlushTlb(null);
        for (int i = first; i <= last; i++)
        {
            SharedSubtree? oldShare = _shares?[i];
            bool wasBorrowed = _borrowed.Get(i);
            TPte entry = src[i];
            if (IsTable(entry, 0)) Hold(i, other.ShareOf(i, entry.Paddr));
            else if (oldShare is not null) _shares![i] = null;
            _borrowed.Set(i);
            _anyBorrowed = true;
            Write(dst + i, entry);

            // Let go of what the slot held: a shared subtree is freed by its last holder; an own one now.
            if (oldShare is not null) Release(oldShare, memoryReleased: false);
            else if (!wasBorrowed && IsTable(old[i], 0)) FreeSubtree(old[i].Paddr, 1);
        }
        return PagingResult.Ok;
    }

    /// <summary>The share record of root slot <paramref name="slot"/>, whose entry points at <paramref name="table"/>;
    /// created (with this table as its one holder) when the subtree was not shared yet.</summary>
    private SharedSubtree ShareOf(int slot, PhysAddr table)
    {
        _shares ??= new SharedSubtree?[EntryCount];
        if (_shares[slot] is { } share) return share;
        share = new SharedSubtree(table) { Holders = 1 };
        _shares[slot] = share;
        return share;
    }

    /// <summary>Takes a hold on <paramref name="share"/> for root slot <paramref name="slot"/> of this table.</summary>
    private void Hold(int slot, SharedSubtree share)
    {
        _shares ??= new SharedSubtree?[EntryCount];
        Interlocked.Increment(ref share.Holders);
        _shares[slot] = share;
    }
}
