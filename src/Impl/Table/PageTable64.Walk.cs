using System.Runtime.CompilerServices;

namespace PageTableMultiarch;

/// <summary>Called for each table pointer and each leaf (valid or PROT_NONE) by <c>Walk</c>: its level (0 = root), index in
/// its table, the canonical virtual address of its first byte, and the entry.</summary>
public delegate void WalkCallback<TPte>(int level, int index, VirtAddr vaddr, TPte entry) where TPte : unmanaged;

/// <summary>A struct visitor for <c>Walk</c> (no delegate call per entry).</summary>
/// <typeparam name="TPte">The entry format.</typeparam>
public interface IWalkVisitor<TPte> where TPte : unmanaged
{
    /// <summary>Called before the entry's subtree is walked.</summary>
    void Pre(int level, int index, VirtAddr vaddr, in TPte entry);

    /// <summary>Called after the entry's subtree is walked.</summary>
    void Post(int level, int index, VirtAddr vaddr, in TPte entry);
}

public partial class PageTable64<TMeta, TPte, THandler>
{
    /// <summary>
    /// Walks the table depth first in increasing address order (the original's <c>walk</c>), calling
    /// <paramref name="pre"/> before and <paramref name="post"/> after each entry's subtree. The entries visited are table
    /// pointers and leaves, PROT_NONE leaves included (their <c>IsPresent</c> is false); empty entries and non-zero entries
    /// of no kind are skipped. At most <paramref name="limit"/> entries are visited in each table (0 or less visits nothing).
    /// Subtrees under borrowed root slots are walked too. The callbacks get a copy of each entry; they may read this table,
    /// but changing or disposing it from there throws <see cref="InvalidOperationException"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone (also when a callback disposed the arena).</exception>
    /// <exception cref="InvalidOperationException">A callback changed or disposed this table (what a callback throws itself comes
    /// through unchanged).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry points outside the handler's memory (a corrupted table).</exception>
    public void Walk(int limit, WalkCallback<TPte>? pre, WalkCallback<TPte>? post)
    {
        var visitor = new DelegateVisitor(pre, post);
        Walk(limit, ref visitor);
    }

    /// <summary>As <see cref="Walk(int, WalkCallback{TPte}?, WalkCallback{TPte}?)"/> with a struct visitor.</summary>
    /// <exception cref="ObjectDisposedException">The table or its memory is gone (also when the visitor disposed the arena).</exception>
    /// <exception cref="InvalidOperationException">The visitor changed or disposed this table (what the visitor throws itself
    /// comes through unchanged).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry points outside the handler's memory (a corrupted table).</exception>
    public unsafe void Walk<TVisitor>(int limit, ref TVisitor visitor) where TVisitor : struct, IWalkVisitor<TPte>
    {
        ThrowIfDisposed();
        TPte* root = Root();
        bool wasBusy = _busy; // walks may nest (a visitor may walk again); the outermost one ends the busy state
        _busy = true;
        try
        {
            WalkTable(root, 0, 0, limit, ref visitor);
        }
        finally
        {
            _busy = wasBusy;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe void WalkTable<TVisitor>(TPte* table, int level, ulong baseVa, int limit, ref TVisitor visitor)
        where TVisitor : struct, IWalkVisitor<TPte>
    {
        int visited = 0;
        for (int i = 0; i < EntryCount && visited < limit; i++)
        {
            TPte entry = table[i]; // the visitor gets a copy: it may release the memory, after which no pointer is used
            bool isTable = IsTable(entry, level);
            if (!isTable && !IsLeaf(entry, level)) continue;
            ulong va = baseVa | ((ulong)i << Shift(level));
            var vaddr = new VirtAddr(Canonicalize(va));
            visitor.Pre(level, i, vaddr, in entry);
            ThrowIfMemoryReleased();
            if (isTable) WalkTable(TableOf(entry.Paddr), level + 1, va, limit, ref visitor);
            visitor.Post(level, i, vaddr, in entry);
            ThrowIfMemoryReleased();
            visited++;
        }
    }

    private readonly struct DelegateVisitor(WalkCallback<TPte>? pre, WalkCallback<TPte>? post) : IWalkVisitor<TPte>
    {
        public void Pre(int level, int index, VirtAddr vaddr, in TPte entry) => pre?.Invoke(level, index, vaddr, entry);

        public void Post(int level, int index, VirtAddr vaddr, in TPte entry) => post?.Invoke(level, index, vaddr, entry);
    }
}
