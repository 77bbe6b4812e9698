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
public sealed class ImplTable<TMeta, TPte> : IImplTable
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
        : typeof(TMeta) == typeof(Sv39PagingMetaData) ? TableKind.Sv39
        : typeof(TMeta) == typeof(Sv48PagingMetaData) ? TableKind.Sv48
        : typeof(TMeta) == typeof(La64PagingMetaData) ? TableKind.La64
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

    public List<Leaf> Leaves() => LeavesOf(_table);

    public int OwnedTableFrames() => OwnedTableFramesOf(_table);

    /// <summary>Every leaf of <paramref name="table"/>, found by <c>Walk</c>, in address order.</summary>
    public static List<Leaf> LeavesOf(PageTable64<TMeta, TPte, ArenaHandler> table)
    {
        var collector = new LeafCollector { Leaves = new List<Leaf>(), LeafLevel = TMeta.Levels - 1 };
        table.Walk(int.MaxValue, ref collector);
        return collector.Leaves;
    }

    /// <summary>The table frames <paramref name="table"/> owns (root, and tables not under borrowed slots).</summary>
    public static int OwnedTableFramesOf(PageTable64<TMeta, TPte, ArenaHandler> table)
    {
        var counter = new TableCounter { LeafLevel = TMeta.Levels - 1, Table = table };
        table.Walk(int.MaxValue, ref counter);
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
                Leaves.Add(new Leaf(vaddr.Value, entry.Paddr.Value, size, Tables.ToModel(entry.Flags)));
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

/// <summary>Impl and Model disagreed (or Impl broke an invariant of its own).</summary>
public sealed class EquivalenceException(string message) : Exception(message);
