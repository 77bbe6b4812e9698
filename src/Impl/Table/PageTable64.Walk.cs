using System.Runtime.CompilerServices;

namespace PageTableMultiarch;

/// <summary>Called for each present entry by <c>Walk</c>: its level (0 = root), index in its table, the canonical
/// virtual address of its first byte, and the entry.</summary>
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

public unsafe partial class PageTable64<TMeta, TPte, THandler>
{
    /// <summary>
    /// Walks the table depth first in increasing address order (the original's <c>walk</c>), calling
    /// <paramref name="pre"/> before and <paramref name="post"/> after each present entry's subtree. At most
    /// <paramref name="limit"/> present entries are visited in each table (0 or less visits nothing).
    /// Subtrees under borrowed root slots are walked too.
    /// </summary>
    public void Walk(int limit, WalkCallback<TPte>? pre, WalkCallback<TPte>? post)
    {
        var visitor = new DelegateVisitor(pre, post);
        Walk(limit, ref visitor);
    }

    /// <summary>As <see cref="Walk(int, WalkCallback{TPte}?, WalkCallback{TPte}?)"/> with a struct visitor.</summary>
    public void Walk<TVisitor>(int limit, ref TVisitor visitor) where TVisitor : struct, IWalkVisitor<TPte>
    {
        ThrowIfDisposed();
        WalkTable(Root(), 0, 0, limit, ref visitor);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private void WalkTable<TVisitor>(TPte* table, int level, ulong baseVa, int limit, ref TVisitor visitor)
        where TVisitor : struct, IWalkVisitor<TPte>
    {
        int visited = 0;
        for (int i = 0; i < EntryCount && visited < limit; i++)
        {
            TPte* e = table + i;
            if (!e->IsPresent) continue;
            ulong va = baseVa | ((ulong)i << Shift(level));
            var vaddr = new VirtAddr(Canonicalize(va));
            visitor.Pre(level, i, vaddr, in *e);
            if (level < LeafLevel && !e->IsHuge) WalkTable(TableOf(e->Paddr), level + 1, va, limit, ref visitor);
            visitor.Post(level, i, vaddr, in *e);
            visited++;
        }
    }

    private readonly struct DelegateVisitor(WalkCallback<TPte>? pre, WalkCallback<TPte>? post) : IWalkVisitor<TPte>
    {
        public void Pre(int level, int index, VirtAddr vaddr, in TPte entry) => pre?.Invoke(level, index, vaddr, entry);

        public void Post(int level, int index, VirtAddr vaddr, in TPte entry) => post?.Invoke(level, index, vaddr, entry);
    }
}
