namespace PageTableModel.Ownership;

/// <summary>
/// Who owns every frame: a model of several page tables in several arenas, kept as plain trees of table nodes, each
/// node one frame. It answers which frames are tables of which table, which root slots a table borrowed from another
/// (by holding the very same node object), and which frames each arena has free. It models only what decides
/// ownership — mapping leaves (so "is this subtree empty" can be answered), table allocation and freeing, sharing
/// through CopyFrom, disposal — and nothing of the entry format.
/// </summary>
/// <remarks>
/// <para>Rules, each stated once:</para>
/// <list type="bullet">
/// <item>An arena hands out its lowest free frame.</item>
/// <item>Map walks from the root and allocates a node for every missing table on the way; the nodes allocated before a
/// <c>NoMemory</c> stay. A huge page may replace a table whose subtree holds no leaf; that subtree's frames are freed.</item>
/// <item>A root slot's node is <em>shared</em> when more than one live table holds it in its root. A live table's own
/// (not borrowed) slot whose node another live table holds is <em>lent</em>: it cannot be copied over, nor replaced by
/// a root-level huge page.</item>
/// <item>A node's frames are freed when no live table holds it any more (owner or borrower, in any order).</item>
/// <item>Reclamation: after an unmap, a failed map (<c>NoMemory</c>) and a failed or throwing region map, every node in the
/// operation's range that holds neither a leaf nor a table is removed and its frame freed, bottom up — except the root,
/// borrowed slots, and the top node of a lent slot.</item>
/// <item>After its arena is disposed a table refuses every operation that needs its memory
/// (<c>ObjectDisposedException</c>); errors found before that (a borrowed slot) are still reported, and a region map
/// runs its first callback first. Disposing the table then frees nothing.</item>
/// </list>
/// Outcomes are texts: <c>Ok</c>, an error's name, or <c>throws X</c> for an exception of type X.
/// </remarks>
public sealed class FrameOwnershipModel
{
    /// <summary>The text of a successful outcome.</summary>
    public const string Ok = "Ok";

    private const ulong FrameSize = 0x1000;

    private readonly List<ArenaState> _arenas = [];
    private readonly List<TableState> _tables = [];

    /// <summary>Creates an empty model for <paramref name="arch"/>.</summary>
    /// <param name="arch">The architecture (levels and virtual width).</param>
    public FrameOwnershipModel(ArchSpec arch) => Arch = arch;

    /// <summary>The architecture.</summary>
    public ArchSpec Arch { get; }

    /// <summary>An arena: its frames and which of them are free.</summary>
    public sealed class ArenaState(ulong basePaddr, int frames)
    {
        /// <summary>The first frame's address.</summary>
        public ulong Base { get; } = basePaddr;

        /// <summary>The number of frames.</summary>
        public int Frames { get; } = frames;

        /// <summary>The free frames' addresses.</summary>
        public SortedSet<ulong> Free { get; } = new(Enumerable.Range(0, frames).Select(i => basePaddr + (ulong)i * FrameSize));

        /// <summary>Whether the arena was disposed.</summary>
        public bool Disposed { get; set; }
    }

    /// <summary>One table frame: its child tables and its leaves, by entry index.</summary>
    public sealed class Node(ulong frame)
    {
        /// <summary>The frame the table occupies.</summary>
        public ulong Frame { get; } = frame;

        /// <summary>Entries that point at a next-level table.</summary>
        public SortedDictionary<int, Node> Tables { get; } = [];

        /// <summary>Entries that map a page: the physical address.</summary>
        public SortedDictionary<int, ulong> Leaves { get; } = [];
    }

    /// <summary>A page table: its arena, its root node, and the root slots it borrowed.</summary>
    public sealed class TableState(ArenaState arena, Node root)
    {
        /// <summary>The arena its frames come from.</summary>
        public ArenaState Arena { get; } = arena;

        /// <summary>The root table.</summary>
        public Node Root { get; } = root;

        /// <summary>Root slots copied from another table.</summary>
        public HashSet<int> Borrowed { get; } = [];

        /// <summary>Whether the table was disposed.</summary>
        public bool Disposed { get; set; }

        /// <summary>Whether it can be used: neither it nor its arena disposed.</summary>
        public bool IsUsable => !Disposed && !Arena.Disposed;
    }

    /// <summary>The arenas, in the order they were added.</summary>
    public IReadOnlyList<ArenaState> Arenas => _arenas;

    /// <summary>The tables, in the order they were created (disposed ones stay, marked).</summary>
    public IReadOnlyList<TableState> Tables => _tables;

    /// <summary>Adds an arena of <paramref name="frames"/> frames at <paramref name="basePaddr"/>.</summary>
    /// <param name="basePaddr">The first frame's address.</param>
    /// <param name="frames">The number of frames.</param>
    /// <returns>Its index.</returns>
    public int AddArena(ulong basePaddr, int frames)
    {
        _arenas.Add(new ArenaState(basePaddr, frames));
        return _arenas.Count - 1;
    }

    /// <summary>Creates a table in arena <paramref name="arena"/>: its root is the arena's lowest free frame.</summary>
    /// <param name="arena">The arena's index.</param>
    /// <param name="table">The new table's index, or -1.</param>
    /// <returns>The outcome.</returns>
    public string CreateTable(int arena, out int table)
    {
        table = -1;
        ArenaState a = _arenas[arena];
        if (a.Disposed) return "throws ObjectDisposedException";
        if (!TryAlloc(a, out ulong frame)) return "NoMemory";
        _tables.Add(new TableState(a, new Node(frame)));
        table = _tables.Count - 1;
        return Ok;
    }

    /// <summary>Maps one page of the size that sits at <paramref name="level"/> (arguments are valid).</summary>
    /// <param name="table">The table's index.</param>
    /// <param name="va">The page's virtual address, aligned to its size.</param>
    /// <param name="pa">The physical address.</param>
    /// <param name="level">The level of the leaf (0 = root).</param>
    /// <returns>The outcome.</returns>
    public string Map(int table, ulong va, ulong pa, int level)
    {
        TableState t = _tables[table];
        if (t.Disposed) return "throws ObjectDisposedException";
        if (t.Borrowed.Contains(Arch.RootSlot(va))) return "BorrowedEntry"; // found before memory is needed
        if (t.Arena.Disposed) return "throws ObjectDisposedException";
        string outcome = MapPage(t, va, pa, level);
        if (outcome == "NoMemory") Prune(t, va, va + (SizeAt(level) - 1)); // the tables allocated on the way go back
        return outcome;
    }

    /// <summary>Removes the page that starts at <paramref name="va"/>, then the tables it leaves empty.</summary>
    /// <param name="table">The table's index.</param>
    /// <param name="va">A 4 KiB-aligned virtual address.</param>
    /// <returns>The outcome.</returns>
    public string Unmap(int table, ulong va)
    {
        TableState t = _tables[table];
        if (t.Disposed) return "throws ObjectDisposedException";
        if (t.Borrowed.Contains(Arch.RootSlot(va))) return "BorrowedEntry"; // found before memory is needed
        if (t.Arena.Disposed) return "throws ObjectDisposedException";
        string outcome = RemoveLeaf(t, va, out ulong size);
        if (outcome == Ok) Prune(t, va, va + (size - 1));
        return outcome;
    }

    /// <summary>
    /// Maps <paramref name="pages"/> 4 KiB pages from <paramref name="va"/>, page by page, as a region map does; the
    /// caller's callback throws before page <paramref name="throwAt"/> (if it is in range) or disposes the arena there
    /// (<paramref name="disposeArenaAt"/>). On an error or exception the pages mapped so far are removed again (while
    /// the memory is there); tables allocated on the way stay.
    /// </summary>
    /// <param name="table">The table's index.</param>
    /// <param name="va">The first page.</param>
    /// <param name="pa">The first page's frame; the rest follow contiguously.</param>
    /// <param name="pages">How many pages.</param>
    /// <param name="throwAt">The page whose callback throws, or -1.</param>
    /// <param name="disposeArenaAt">The page whose callback disposes the arena, or -1.</param>
    /// <returns>The outcome.</returns>
    public string MapRegion(int table, ulong va, ulong pa, int pages, int throwAt, int disposeArenaAt)
    {
        TableState t = _tables[table];
        if (t.Disposed) return "throws ObjectDisposedException";
        if (t.Arena.Disposed) return throwAt == 0 ? "throws TimeoutException" : "throws ObjectDisposedException"; // the callback runs first
        for (int p = 0; p < pages; p++)
        {
            if (p == throwAt)
            {
                UnmapPages(t, va, p);
                Prune(t, va, va + ((ulong)pages * FrameSize - 1));
                return "throws TimeoutException";
            }
            if (p == disposeArenaAt)
            {
                t.Arena.Disposed = true;
                return "throws ObjectDisposedException";
            }
            string outcome = MapPage(t, va + (ulong)p * FrameSize, pa + (ulong)p * FrameSize, Arch.Levels - 1);
            if (outcome != Ok)
            {
                UnmapPages(t, va, p);
                Prune(t, va, va + ((ulong)pages * FrameSize - 1));
                return outcome;
            }
        }
        return Ok;
    }

    /// <summary>Copies root slot <paramref name="slot"/> of <paramref name="source"/> into <paramref name="table"/>.</summary>
    /// <param name="table">The table copied into.</param>
    /// <param name="source">The table copied from.</param>
    /// <param name="slot">The root slot.</param>
    /// <returns>The outcome.</returns>
    public string CopyFrom(int table, int source, int slot)
    {
        TableState t = _tables[table], s = _tables[source];
        if (t.Disposed || s.Disposed) return "throws ObjectDisposedException";
        if (t == s || t.Arena != s.Arena) return "IncompatibleTable";
        if (IsLent(t, slot)) return "LentEntry";
        if (t.Arena.Disposed) return "throws ObjectDisposedException";

        if (t.Root.Tables.Remove(slot, out Node? old)) FreeIfUnheld(t.Arena, old);
        t.Root.Leaves.Remove(slot);
        if (s.Root.Tables.TryGetValue(slot, out Node? shared)) t.Root.Tables[slot] = shared;
        if (s.Root.Leaves.TryGetValue(slot, out ulong leaf)) t.Root.Leaves[slot] = leaf;
        t.Borrowed.Add(slot);
        return Ok;
    }

    /// <summary>Disposes a table: its own nodes are freed unless another live table still holds them.</summary>
    /// <param name="table">The table's index.</param>
    /// <returns>The outcome (always <see cref="Ok"/>: disposing twice does nothing).</returns>
    public string DisposeTable(int table)
    {
        TableState t = _tables[table];
        if (t.Disposed) return Ok;
        t.Disposed = true;
        if (t.Arena.Disposed) return Ok;
        foreach (Node node in t.Root.Tables.Values) FreeIfUnheld(t.Arena, node);
        t.Arena.Free.Add(t.Root.Frame);
        return Ok;
    }

    /// <summary>Disposes an arena: its tables become unusable.</summary>
    /// <param name="arena">The arena's index.</param>
    public void DisposeArena(int arena) => _arenas[arena].Disposed = true;

    /// <summary>Whether <paramref name="t"/>'s own root slot <paramref name="slot"/> is held by another live table.</summary>
    /// <param name="t">The table.</param>
    /// <param name="slot">The root slot.</param>
    /// <returns>True when lent.</returns>
    public bool IsLent(TableState t, int slot) =>
        !t.Borrowed.Contains(slot) && t.Root.Tables.TryGetValue(slot, out Node? node) && HeldByOther(node, t);

    /// <summary>Every table node of <paramref name="t"/> in walk order (depth first, by index): level, the virtual
    /// address of its first byte (not sign-extended), and its frame; the root first.</summary>
    /// <param name="t">The table.</param>
    /// <returns>The nodes.</returns>
    public List<(int Level, ulong Va, ulong Frame)> TableFrames(TableState t)
    {
        var list = new List<(int, ulong, ulong)> { (-1, 0, t.Root.Frame) };
        CollectTables(t.Root, 0, 0, list);
        return list;
    }

    /// <summary>Every leaf of <paramref name="t"/> in address order: level, virtual address (not sign-extended), frame.</summary>
    /// <param name="t">The table.</param>
    /// <returns>The leaves.</returns>
    public List<(int Level, ulong Va, ulong Pa)> LeavesOf(TableState t)
    {
        var list = new List<(int, ulong, ulong)>();
        CollectLeaves(t.Root, 0, 0, list);
        return list.OrderBy(l => l.Item2).ToList();
    }

    private string MapPage(TableState t, ulong va, ulong pa, int level)
    {
        int slot = Arch.RootSlot(va);
        if (t.Borrowed.Contains(slot)) return "BorrowedEntry";
        Node node = t.Root;
        for (int l = 0; l < level; l++)
        {
            int i = IndexAt(va, l);
            if (node.Leaves.ContainsKey(i)) return "MappedToHugePage";
            if (!node.Tables.TryGetValue(i, out Node? next))
            {
                if (!TryAlloc(t.Arena, out ulong frame)) return "NoMemory";
                next = new Node(frame);
                node.Tables[i] = next;
            }
            node = next;
        }
        int target = IndexAt(va, level);
        if (node.Leaves.ContainsKey(target)) return "AlreadyMapped";
        if (node.Tables.TryGetValue(target, out Node? below))
        {
            if (HasLeaf(below)) return "AlreadyMapped";
            if (level == 0 && IsLent(t, target)) return "LentEntry";
            node.Tables.Remove(target);
            FreeAll(t.Arena, below);
        }
        node.Leaves[target] = pa;
        return Ok;
    }

    private void UnmapPages(TableState t, ulong va, int pages)
    {
        for (int p = 0; p < pages; p++) RemoveLeaf(t, va + (ulong)p * FrameSize, out _);
    }

    /// <summary>Removes the leaf that starts at <paramref name="va"/> (its <paramref name="size"/> out).</summary>
    private string RemoveLeaf(TableState t, ulong va, out ulong size)
    {
        size = 0;
        Node node = t.Root;
        for (int level = 0; ; level++)
        {
            int i = IndexAt(va, level);
            if (node.Leaves.ContainsKey(i))
            {
                size = SizeAt(level);
                if ((va & (size - 1)) != 0) return "MappedToHugePage";
                node.Leaves.Remove(i);
                return Ok;
            }
            if (!node.Tables.TryGetValue(i, out Node? next)) return "NotMapped";
            node = next;
        }
    }

    /// <summary>Removes, bottom up, every node under <c>[first, last]</c> that holds nothing (see the class remarks).</summary>
    private void Prune(TableState t, ulong first, ulong last) => PruneBelow(t, t.Root, 0, 0, first, last);

    private void PruneBelow(TableState t, Node node, int level, ulong nodeVa, ulong first, ulong last)
    {
        foreach (var (i, child) in node.Tables.ToList())
        {
            ulong childVa = nodeVa | ((ulong)i << ShiftAt(level));
            ulong childLast = childVa + (SizeAt(level) - 1);
            if (childLast < first || childVa > last) continue; // outside the range
            if (level == 0 && t.Borrowed.Contains(i)) continue;
            PruneBelow(t, child, level + 1, childVa, first, last);
            if (child.Tables.Count > 0 || child.Leaves.Count > 0) continue;
            if (level == 0 && IsLent(t, i)) continue;
            node.Tables.Remove(i);
            t.Arena.Free.Add(child.Frame);
        }
    }

    private bool HeldByOther(Node node, TableState except) =>
        _tables.Any(o => o != except && !o.Disposed && o.Root.Tables.Values.Contains(node));

    private void FreeIfUnheld(ArenaState arena, Node node)
    {
        if (!_tables.Any(o => !o.Disposed && o.Root.Tables.Values.Contains(node))) FreeAll(arena, node);
    }

    private static void FreeAll(ArenaState arena, Node node)
    {
        foreach (Node child in node.Tables.Values) FreeAll(arena, child);
        arena.Free.Add(node.Frame);
    }

    private static bool HasLeaf(Node node) => node.Leaves.Count > 0 || node.Tables.Values.Any(HasLeaf);

    private static bool TryAlloc(ArenaState arena, out ulong frame)
    {
        frame = 0;
        if (arena.Free.Count == 0) return false;
        frame = arena.Free.Min;
        arena.Free.Remove(frame);
        return true;
    }

    private void CollectTables(Node node, int level, ulong va, List<(int, ulong, ulong)> list)
    {
        foreach (var (i, child) in node.Tables)
        {
            ulong childVa = va | ((ulong)i << ShiftAt(level));
            list.Add((level, childVa, child.Frame));
            CollectTables(child, level + 1, childVa, list);
        }
    }

    private void CollectLeaves(Node node, int level, ulong va, List<(int, ulong, ulong)> list)
    {
        foreach (var (i, pa) in node.Leaves) list.Add((level, va | ((ulong)i << ShiftAt(level)), pa));
        foreach (var (i, child) in node.Tables) CollectLeaves(child, level + 1, va | ((ulong)i << ShiftAt(level)), list);
    }

    private int ShiftAt(int level) => 12 + 9 * (Arch.Levels - 1 - level);

    private ulong SizeAt(int level) => 1UL << ShiftAt(level);

    private int IndexAt(ulong va, int level) => (int)((va >> ShiftAt(level)) & 511);
}
