namespace PageTableMultiarch;

public unsafe partial class PageTable64<TMeta, TPte, THandler>
{
    /// <summary>
    /// Shares the root entries of <paramref name="other"/> that cover <c>[start, start + size)</c> (the original's
    /// <c>copy_from</c>): whole root slots are copied, so all of <paramref name="other"/>'s mappings in those slots
    /// become visible here. This table's own subtrees in the slots are freed first. The slots become
    /// <em>borrowed</em>: readable through <see cref="Query"/> and <see cref="Walk(int, WalkCallback{TPte}?, WalkCallback{TPte}?)"/>,
    /// but every change under them fails with <see cref="PagingError.BorrowedEntry"/>, and <see cref="Dispose"/> leaves
    /// them to <paramref name="other"/>, which must outlive this table's use of them.
    /// <para>The subtrees are shared, not copied: later changes that <paramref name="other"/> makes in those
    /// slots show through here, and <paramref name="other"/> must not free a shared table while it is borrowed.
    /// On Sv39 a root entry can be a 1G leaf, so mapping a 1G page in <paramref name="other"/> over an empty
    /// table in a borrowed slot would free that table under the borrower: keep borrowed slots of the source
    /// unchanged (the kernel-half sharing this exists for does).</para>
    /// </summary>
    /// <returns>
    /// Success, or <see cref="PagingError.InvalidVirtAddr"/>, <see cref="PagingError.NotAligned"/> (4K),
    /// <see cref="PagingError.RangeOverflow"/>, <see cref="PagingError.InvalidVirtAddr"/> (last byte), and
    /// <see cref="PagingError.IncompatibleTable"/> when <paramref name="other"/> is this table or uses another handler.
    /// </returns>
    public PagingResult CopyFrom(PageTable64<TMeta, TPte, THandler> other, VirtAddr start, ulong size)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(other);
        other.ThrowIfDisposed();
        ulong va = start.Value;
        PagingError error = CheckRegion(va, size);
        if (error != 0) return error;
        if (ReferenceEquals(other, this) || !EqualityComparer<THandler>.Default.Equals(_handler, other._handler))
            return PagingError.IncompatibleTable;
        if (size == 0) return PagingResult.Ok;

        TPte* dst = Root();
        TPte* src = other.Root();
        int first = (int)Index(va, 0), last = (int)Index(va + (size - 1), 0);
        for (int i = first; i <= last; i++)
        {
            TPte* e = dst + i;
            if (!_borrowed.Get(i))
            {
                if (e->IsPresent && !e->IsHuge) FreeSubtree(e->Paddr, 1);
                _borrowed.Set(i);
                _anyBorrowed = true;
            }
            *e = src[i];
        }
        return PagingResult.Ok;
    }
}
