namespace PageTableMultiarch.Harness;

/// <summary>Impl's table behind a non-generic face, speaking the harness's comparable types.</summary>
public interface IImplTable : IDisposable
{
    TableKind Kind { get; }

    /// <summary>Runs one operation. <paramref name="peer"/> and <paramref name="foreign"/> serve <see cref="CopyFromOp"/>.</summary>
    Outcome Apply(PageOp op, IImplTable? peer, IImplTable? foreign);

    /// <summary>Every leaf, found by <c>Walk</c>, in address order.</summary>
    List<Leaf> Leaves();

    /// <summary>The table frames this table owns (root, and tables not under borrowed slots).</summary>
    int OwnedTableFrames();

    PhysAddr RootPaddr { get; }

    int Levels { get; }
}

/// <summary>Adapter over <see cref="PageTable64{TMeta, TPte, THandler}"/> with an <see cref="ArenaHandler"/>.</summary>
public sealed class ImplTable<TMeta, TPte> : IImplTable, IStateWalker
    where TMeta : struct, IPagingMetaData
    where TPte : unmanaged, IGenericPte<TPte>
{
    private readonly PageTable64<TMeta, TPte, ArenaHandler> _table;

    private ImplTable(TableKind kind, PageTable64<TMeta, TPte, ArenaHandler> table)
    {
        Kind = kind;
        _table = table;
    }

    /// <summary>Creates the table; throws if even the root frame cannot be had (a harness setup bug).</summary>
    public static ImplTable<TMeta, TPte> Create(FrameArena arena, TableKind kind = default)
    {
        var created = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(arena));
        if (!created.TryGetValue(out var table)) throw new InvalidOperationException($"No frame for the root: {created}");
        return new ImplTable<TMeta, TPte>(KindOf(kind), table);
    }

    private static TableKind KindOf(TableKind given) =>
        typeof(TMeta) == typeof(X64PagingMetaData) ? TableKind.X64
        : typeof(TMeta) == typeof(A64PagingMetaData) ? TableKind.A64
        : typeof(TMeta) == typeof(Sv39MetaData) ? TableKind.Sv39
        : typeof(TMeta) == typeof(Sv48MetaData) ? TableKind.Sv48
        : typeof(TMeta) == typeof(LA64MetaData) ? TableKind.La64
        : given;

    public TableKind Kind { get; }

    public PageTable64<TMeta, TPte, ArenaHandler> Table => _table;

    public PhysAddr RootPaddr => _table.RootPaddr;

    public int Levels => TMeta.Levels;

    public Outcome Apply(PageOp op, IImplTable? peer, IImplTable? foreign)
    {
        switch (op)
        {
            case MapOp m:
            {
                var r = _table.Map(new VirtAddr(m.Va), new PhysAddr(m.Pa), m.Size, m.Flags);
                if (!r.TryGetValue(out var flush)) return Outcome.Fail(r.Error.ToString());
                Expect(flush.Vaddr.Value == m.Va, op, $"flush names {flush.Vaddr}");
                return Outcome.Ok;
            }
            case UnmapOp u:
            {
                var r = _table.Unmap(new VirtAddr(u.Va));
                if (!r.TryGetValue(out var v)) return Outcome.Fail(r.Error.ToString());
                Expect(v.Flush.Vaddr.Value == u.Va, op, $"flush names {v.Flush.Vaddr}");
                return new Outcome(null, v.Paddr.Value, (ulong)v.Size);
            }
            case QueryOp q:
            {
                var r = _table.Query(new VirtAddr(q.Va));
                if (!r.TryGetValue(out var v)) return Outcome.Fail(r.Error.ToString());
                return new Outcome(null, v.Paddr.Value, (ulong)v.Size, Tables.FlagText(v.Flags));
            }
            case ProtectOp p:
            {
                var r = _table.Protect(new VirtAddr(p.Va), p.Flags);
                if (!r.TryGetValue(out var v)) return Outcome.Fail(r.Error.ToString());
                Expect(v.Flush.Vaddr.Value == p.Va, op, $"flush names {v.Flush.Vaddr}");
                return new Outcome(null, 0, (ulong)v.Size);
            }
            case RemapOp rm:
            {
                var r = _table.Remap(new VirtAddr(rm.Va), new PhysAddr(rm.Pa), rm.Flags);
                if (!r.TryGetValue(out var v)) return Outcome.Fail(r.Error.ToString());
                Expect(v.Flush.Vaddr.Value == rm.Va, op, $"flush names {v.Flush.Vaddr}");
                return new Outcome(null, 0, (ulong)v.Size);
            }
            case MapRegionOp mr:
            {
                var r = mr.Contiguous && mr.Scramble == 0
                    ? _table.MapRegion(new VirtAddr(mr.Va), new PhysAddr(mr.PaBase), mr.Size, mr.Flags, mr.AllowHuge, mr.FlushByPage)
                    : _table.MapRegion(new VirtAddr(mr.Va), v => new PhysAddr(mr.PaddrOf(v.Value)), mr.Size, mr.Flags, mr.AllowHuge, mr.FlushByPage);
                return r.IsOk ? Outcome.Ok : Outcome.Fail(r.Error.ToString());
            }
            case UnmapRegionOp ur:
            {
                var r = _table.UnmapRegion(new VirtAddr(ur.Va), ur.Size, ur.FlushByPage);
                return r.IsOk ? Outcome.Ok : Outcome.Fail(r.Error.ToString());
            }
            case ProtectRegionOp pr:
            {
                var r = _table.ProtectRegion(new VirtAddr(pr.Va), pr.Size, pr.Flags, pr.FlushByPage);
                return r.IsOk ? Outcome.Ok : Outcome.Fail(r.Error.ToString());
            }
            case CopyFromOp c:
            {
                IImplTable? source = c.Source switch
                {
                    CopySource.Peer => peer,
                    CopySource.Self => this,
                    _ => foreign,
                };
                if (source is not ImplTable<TMeta, TPte> other) throw new InvalidOperationException($"No {c.Source} table for {op}.");
                var r = _table.CopyFrom(other._table, new VirtAddr(c.Start), c.Size);
                return r.IsOk ? Outcome.Ok : Outcome.Fail(r.Error.ToString());
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown operation.");
        }
    }

    private static void Expect(bool condition, PageOp op, string what)
    {
        if (!condition) throw new EquivalenceException($"{op}: Impl's TLB flush value is wrong: {what}.");
    }

    public List<Leaf> Leaves()
    {
        var collector = new LeafCollector { Leaves = new List<Leaf>(), LeafLevel = TMeta.Levels - 1 };
        _table.Walk(int.MaxValue, ref collector);
        return collector.Leaves;
    }

    int IStateWalker.WalkState(LeafBuffer leaves)
    {
        var collector = new StateCollector { Leaves = leaves, LeafLevel = TMeta.Levels - 1, Table = _table };
        _table.Walk(int.MaxValue, ref collector);
        return collector.Count + 1;
    }

    // What the last counting walk of OwnedTableFramesCached read: the table frames it visited (and their bytes),
    // and the borrowed flag of each present root slot it asked for. If all of it is the same now, so is the count.
    private readonly List<PhysAddr> _seenFrames = [];
    private readonly List<(int Index, bool Borrowed)> _seenSlots = [];
    private byte[] _seenBytes = [];
    private int _seenOwned = -1;

    unsafe int IStateWalker.OwnedTableFramesCached()
    {
        if (_seenOwned >= 0 && !_table.IsDisposed && SameAsSeen()) return _seenOwned;
        _seenFrames.Clear();
        _seenSlots.Clear();
        _seenFrames.Add(_table.RootPaddr);
        var counter = new RecordingTableCounter { LeafLevel = TMeta.Levels - 1, Table = _table, Frames = _seenFrames, Slots = _seenSlots };
        _table.Walk(int.MaxValue, ref counter);
        if (_seenBytes.Length < _seenFrames.Count * FrameArena.FrameSize) _seenBytes = new byte[_seenFrames.Count * FrameArena.FrameSize];
        var arena = _table.Handler.Arena;
        for (int i = 0; i < _seenFrames.Count; i++)
            new ReadOnlySpan<byte>(arena.FramePointer(_seenFrames[i]), FrameArena.FrameSize).CopyTo(_seenBytes.AsSpan(i * FrameArena.FrameSize));
        _seenOwned = counter.Count + 1;
        return _seenOwned;
    }

    private unsafe bool SameAsSeen()
    {
        var arena = _table.Handler.Arena;
        for (int i = 0; i < _seenFrames.Count; i++)
        {
            var now = new ReadOnlySpan<byte>(arena.FramePointer(_seenFrames[i]), FrameArena.FrameSize);
            if (!now.SequenceEqual(_seenBytes.AsSpan(i * FrameArena.FrameSize, FrameArena.FrameSize))) return false;
        }
        foreach (var (index, borrowed) in _seenSlots)
            if (_table.IsBorrowedSlot(index) != borrowed) return false;
        return true;
    }

    public int OwnedTableFrames()
    {
        var counter = new TableCounter { LeafLevel = TMeta.Levels - 1, Table = _table };
        _table.Walk(int.MaxValue, ref counter);
        return counter.Count + 1;
    }

    public void Dispose() => _table.Dispose();

    private struct LeafCollector : IWalkVisitor<TPte>
    {
        public List<Leaf> Leaves;
        public int LeafLevel;

        public readonly void Pre(int level, int index, VirtAddr vaddr, in TPte entry)
        {
            if (level == LeafLevel || entry.IsHuge)
            {
                ulong size = 1UL << (12 + 9 * (LeafLevel - level));
                Leaves.Add(new Leaf(vaddr.Value, entry.Paddr.Value, size, Tables.FlagText(entry.Flags)));
            }
        }

        public readonly void Post(int level, int index, VirtAddr vaddr, in TPte entry) { }
    }

    /// <summary><see cref="LeafCollector"/> and <see cref="TableCounter"/> in one walk, with leaves in numeric form.</summary>
    private struct StateCollector : IWalkVisitor<TPte>
    {
        public LeafBuffer Leaves;
        public int LeafLevel;
        public int Count;
        public PageTable64<TMeta, TPte, ArenaHandler> Table;
        private bool _inBorrowed;

        public void Pre(int level, int index, VirtAddr vaddr, in TPte entry)
        {
            if (level == 0) _inBorrowed = Table.IsBorrowedSlot(index);
            if (level == LeafLevel || entry.IsHuge)
            {
                ulong size = 1UL << (12 + 9 * (LeafLevel - level));
                Leaves.Add(new LeafBits(vaddr.Value, entry.Paddr.Value, size, Tables.FlagCode(entry.Flags)));
            }
            else if (!_inBorrowed)
            {
                Count++;
            }
        }

        public readonly void Post(int level, int index, VirtAddr vaddr, in TPte entry) { }
    }

    /// <summary><see cref="TableCounter"/>, also writing down what it read (see <see cref="IStateWalker.OwnedTableFramesCached"/>).</summary>
    private struct RecordingTableCounter : IWalkVisitor<TPte>
    {
        public int LeafLevel;
        public int Count;
        public PageTable64<TMeta, TPte, ArenaHandler> Table;
        public List<PhysAddr> Frames;
        public List<(int, bool)> Slots;
        private bool _inBorrowed;

        public void Pre(int level, int index, VirtAddr vaddr, in TPte entry)
        {
            if (level == 0)
            {
                _inBorrowed = Table.IsBorrowedSlot(index);
                Slots.Add((index, _inBorrowed));
            }
            if (level < LeafLevel && !entry.IsHuge)
            {
                Frames.Add(entry.Paddr); // Walk descends into this table
                if (!_inBorrowed) Count++;
            }
        }

        public readonly void Post(int level, int index, VirtAddr vaddr, in TPte entry) { }
    }

    private struct TableCounter : IWalkVisitor<TPte>
    {
        public int LeafLevel;
        public int Count;
        public PageTable64<TMeta, TPte, ArenaHandler> Table;
        private bool _inBorrowed;

        public void Pre(int level, int index, VirtAddr vaddr, in TPte entry)
        {
            if (level == 0) _inBorrowed = Table.IsBorrowedSlot(index);
            if (!_inBorrowed && level < LeafLevel && !entry.IsHuge) Count++;
        }

        public readonly void Post(int level, int index, VirtAddr vaddr, in TPte entry) { }
    }
}

/// <summary>A leaf in numeric form: flags as <see cref="Tables.FlagCode(MappingFlags)"/>.</summary>
internal readonly record struct LeafBits(ulong Va, ulong Pa, ulong Size, int Flags);

/// <summary>A reusable list of <see cref="LeafBits"/>.</summary>
internal sealed class LeafBuffer
{
    private LeafBits[] _items = new LeafBits[64];

    public int Count { get; private set; }

    public ReadOnlySpan<LeafBits> Items => _items.AsSpan(0, Count);

    public void Clear() => Count = 0;

    public void Add(in LeafBits leaf)
    {
        if (Count == _items.Length) Array.Resize(ref _items, Count * 2);
        _items[Count++] = leaf;
    }
}

/// <summary>What <see cref="Equivalence"/> uses instead of <see cref="IImplTable.Leaves"/> plus <see cref="IImplTable.OwnedTableFrames"/> when a table offers it.</summary>
internal interface IStateWalker
{
    /// <summary>Appends every leaf found by one <c>Walk</c>, in walk order, and returns what <see cref="IImplTable.OwnedTableFrames"/> gives.</summary>
    int WalkState(LeafBuffer leaves);

    /// <summary>
    /// What <see cref="IImplTable.OwnedTableFrames"/> gives, without walking again when nothing that walk reads has
    /// changed since the last call: the bytes of every table frame it visited and the borrowed flags it asked for.
    /// For the peer table, which no operation changes.
    /// </summary>
    int OwnedTableFramesCached();
}

/// <summary>Impl and Model disagreed (or Impl broke an invariant of its own).</summary>
public sealed class EquivalenceException(string message) : Exception(message);
