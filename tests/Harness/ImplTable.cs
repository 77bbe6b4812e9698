using System.Buffers;

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
                ExpectFlush(flush.Vaddr, m.Va, op);
                return Outcome.Ok;
            }
            case UnmapOp u:
            {
                var r = _table.Unmap(new VirtAddr(u.Va));
                if (!r.TryGetValue(out var v)) return Outcome.Fail(r.Error.ToString());
                ExpectFlush(v.Flush.Vaddr, u.Va, op);
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
                ExpectFlush(v.Flush.Vaddr, p.Va, op);
                return new Outcome(null, 0, (ulong)v.Size);
            }
            case RemapOp rm:
            {
                var r = _table.Remap(new VirtAddr(rm.Va), new PhysAddr(rm.Pa), rm.Flags);
                if (!r.TryGetValue(out var v)) return Outcome.Fail(r.Error.ToString());
                ExpectFlush(v.Flush.Vaddr, rm.Va, op);
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

    private static void ExpectFlush(VirtAddr flushed, ulong va, PageOp op)
    {
        if (flushed.Value != va) throw new EquivalenceException($"{op}: Impl's TLB flush value is wrong: flush names {flushed}.");
    }

    public List<Leaf> Leaves()
    {
        var collector = new LeafCollector { Leaves = new List<Leaf>(), LeafLevel = TMeta.Levels - 1 };
        _table.Walk(int.MaxValue, ref collector);
        return collector.Leaves;
    }

    // What the last walk of WalkStateCached read: the table frames it visited (and their bytes), and the borrowed
    // flag of each present root slot it asked for; and what it found. Walk reads nothing else (apart from whether
    // the table is disposed), so if all of that is the same now, a walk now would find the same.
    private readonly List<PhysAddr> _seenFrames = [];
    private readonly List<(int Index, bool Borrowed)> _seenSlots = [];
    private readonly LeafBuffer _seenLeaves = new();
    private byte[] _seenBytes = [];
    private int _seenOwned = -1;

    unsafe int IStateWalker.WalkStateCached(out LeafBuffer leaves)
    {
        leaves = _seenLeaves;
        if (_seenOwned >= 0 && !_table.IsDisposed && SameAsSeen()) return _seenOwned;
        _seenOwned = -1;
        _seenFrames.Clear();
        _seenSlots.Clear();
        _seenLeaves.Clear();
        var root = _table.RootPaddr; // throws when disposed, as Walk does
        _seenFrames.Add(root);
        var collector = new RecordingCollector { LeafLevel = TMeta.Levels - 1, Table = _table, Frames = _seenFrames, Slots = _seenSlots, Leaves = _seenLeaves };
        _table.Walk(int.MaxValue, ref collector);
        int bytes = _seenFrames.Count * FrameArena.FrameSize;
        if (_seenBytes.Length < bytes)
        {
            if (_seenBytes.Length > 0) ArrayPool<byte>.Shared.Return(_seenBytes);
            _seenBytes = ArrayPool<byte>.Shared.Rent(bytes);
        }
        var arena = _table.Handler.Arena;
        for (int i = 0; i < _seenFrames.Count; i++)
            new ReadOnlySpan<byte>(arena.FramePointer(_seenFrames[i]), FrameArena.FrameSize).CopyTo(_seenBytes.AsSpan(i * FrameArena.FrameSize));
        _seenOwned = collector.Count + 1;
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

    public void Dispose()
    {
        _table.Dispose();
        _seenOwned = -1;
        if (_seenBytes.Length > 0) ArrayPool<byte>.Shared.Return(_seenBytes);
        _seenBytes = [];
    }

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

    /// <summary>
    /// <see cref="LeafCollector"/> (leaves in numeric form) and <see cref="TableCounter"/> in one walk, also writing
    /// down what the walk read: the tables it descends into, and the borrowed flags asked for.
    /// </summary>
    private struct RecordingCollector : IWalkVisitor<TPte>
    {
        public int LeafLevel;
        public int Count;
        public PageTable64<TMeta, TPte, ArenaHandler> Table;
        public List<PhysAddr> Frames;
        public List<(int, bool)> Slots;
        public LeafBuffer Leaves;
        private bool _inBorrowed;

        public void Pre(int level, int index, VirtAddr vaddr, in TPte entry)
        {
            if (level == 0)
            {
                _inBorrowed = Table.IsBorrowedSlot(index);
                Slots.Add((index, _inBorrowed));
            }
            if (level == LeafLevel || entry.IsHuge)
            {
                ulong size = 1UL << (12 + 9 * (LeafLevel - level));
                Leaves.Add(new LeafBits(vaddr.Value, entry.Paddr.Value, size, Tables.FlagCode(entry.Flags)));
            }
            else
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
    private LeafBits[] _items = new LeafBits[16];

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
    /// <summary>
    /// Every leaf one <c>Walk</c> finds now (numeric, in walk order) and what <see cref="IImplTable.OwnedTableFrames"/>
    /// gives now. The walk is repeated only when something it reads has changed since the last call: the bytes of a
    /// table frame it visited, a borrowed flag it asked for, or whether the table is disposed.
    /// </summary>
    int WalkStateCached(out LeafBuffer leaves);

}

/// <summary>Impl and Model disagreed (or Impl broke an invariant of its own).</summary>
public sealed class EquivalenceException(string message) : Exception(message);
