using System.Text;
using PageTableModel;

namespace PageTableMultiarch.Harness;

/// <summary>What a run counted: operations by kind and result, and operation addresses by <see cref="Coverage.AddressClass"/>.</summary>
public sealed class RunStats
{
    public long Sequences;
    public long Ops;

    private readonly Dictionary<(OpKind Kind, string Result), long> _byOutcome = [];
    private readonly Dictionary<string, long> _byAddressClass = new(StringComparer.Ordinal);
    private readonly Dictionary<(OpKind Kind, string Split), long> _bySplit = [];

    /// <summary>Operations counted by operation kind and result (<see cref="Coverage.ResultOf"/>: "Ok", a PROT_NONE kind of
    /// success, or the error's name). A copy.</summary>
    public Dictionary<(OpKind Kind, string Result), long> ByOutcome => new(_byOutcome);

    /// <summary>Operations counted by the class of their address. A copy.</summary>
    public Dictionary<string, long> ByAddressClass => new(_byAddressClass, StringComparer.Ordinal);

    /// <summary>Successful region operations counted by operation kind and the kind of split they made
    /// (<see cref="Coverage.SplitKinds"/>). A copy.</summary>
    public Dictionary<(OpKind Kind, string Split), long> BySplit => new(_bySplit);

    /// <summary>Counts one operation; <paramref name="before"/> is the model's mapping at the operation's address before it
    /// ran, and <paramref name="splits"/> are the splits it makes if it succeeds (<see cref="Coverage.SplitsOf"/>, from the
    /// state before it).</summary>
    public void Add(TableKind table, PageOp op, Outcome outcome, ModelMapping? before, IReadOnlyList<string>? splits = null)
    {
        if (outcome.IsOk && splits is not null)
            foreach (var split in splits) _bySplit[(op.Kind, split)] = _bySplit.GetValueOrDefault((op.Kind, split)) + 1;
        Ops++;
        var key = (op.Kind, Coverage.ResultOf(op, outcome, before?.Flags));
        _byOutcome[key] = _byOutcome.GetValueOrDefault(key) + 1;
        string cls = Coverage.AddressClass(table, op.Address);
        _byAddressClass[cls] = _byAddressClass.GetValueOrDefault(cls) + 1;
    }

    public void Merge(RunStats other)
    {
        Sequences += other.Sequences;
        Ops += other.Ops;
        foreach (var (key, n) in other._byOutcome) _byOutcome[key] = _byOutcome.GetValueOrDefault(key) + n;
        foreach (var (key, n) in other._byAddressClass) _byAddressClass[key] = _byAddressClass.GetValueOrDefault(key) + n;
        foreach (var (key, n) in other._bySplit) _bySplit[key] = _bySplit.GetValueOrDefault(key) + n;
    }
}

/// <summary>
/// The two arenas a run uses: the main one (Impl's table and the peer it copies from) and a small foreign one (a
/// table <see cref="CopyFromOp"/> must refuse). A caller that runs many sequences keeps one pair and passes it in
/// <see cref="RunOptions.Arenas"/>: every run starts by making both fresh with <see cref="FrameArena.Reset"/>, or, when
/// a faulty table left frames in use, with new arenas.
/// </summary>
public sealed class RunArenas(int mainFrames) : IDisposable
{
    public const ulong MainBase = 0x8000_0000, ForeignBase = 0x4000_0000;
    public const int ForeignFrames = 4;

    public FrameArena Main { get; private set; } = new(new PhysAddr(MainBase), mainFrames);

    public FrameArena Foreign { get; private set; } = new(new PhysAddr(ForeignBase), ForeignFrames);

    /// <summary>Puts both arenas into the state of new ones.</summary>
    public void MakeFresh()
    {
        Main = Fresh(Main);
        Foreign = Fresh(Foreign);
    }

    private static FrameArena Fresh(FrameArena arena)
    {
        if (!arena.IsDisposed && arena.InUse == 0)
        {
            arena.Reset();
            return arena;
        }
        arena.Dispose();
        return new FrameArena(arena.BasePaddr, arena.FrameCount);
    }

    public void Dispose()
    {
        Main.Dispose();
        Foreign.Dispose();
    }
}

/// <summary>Options of a run.</summary>
public sealed record RunOptions
{
    /// <summary>Frames in the main arena. The default is large enough that NoMemory never happens.</summary>
    public int ArenaFrames { get; init; } = 4096;

    /// <summary>Arenas to reuse (made fresh before the run); null: new arenas of <see cref="ArenaFrames"/> frames for this run.</summary>
    public RunArenas? Arenas { get; init; }

    /// <summary>When true, NoMemory from Impl is allowed: the model is not stepped and the state must be unchanged.</summary>
    public bool TolerateNoMemory { get; init; }

    /// <summary>Compare the whole mapping state after every step (else only at the end).</summary>
    public bool CheckStateEveryStep { get; init; } = true;

    /// <summary>Creates Impl's table; the default makes the ready type of the sequence's kind. Faulty variants plug in here.</summary>
    public Func<TableKind, FrameArena, IImplTable>? ImplFactory { get; init; }

    /// <summary>Extra checks after every step, a tolerated NoMemory included (the hardware walkers plug in here).</summary>
    public Action<StepContext>? AfterStep { get; init; }

    public static readonly RunOptions Default = new();
}

/// <summary>What an <see cref="RunOptions.AfterStep"/> check sees.</summary>
public sealed record StepContext(TableKind Kind, int Step, PageOp Op, IImplTable Impl, ReferenceModel Model, FrameArena Arena);

/// <summary>
/// Runs one sequence on Impl and Model side by side and throws <see cref="EquivalenceException"/> at the first
/// difference: in a result, in the mapping state, in frame accounting, or at dispose.
/// </summary>
public static class Equivalence
{
    /// <summary>Mappings the peer table (the source of <see cref="CopySource.Peer"/>) holds on both sides.</summary>
    public static PageOp[] PeerSetup(TableKind kind)
    {
        var anchors = AddressSpace.For(kind);
        return
        [
            new MapOp(anchors.Low + 0x7000, 0x5000, PageSize.Size4K, MappingFlags.Read | MappingFlags.Write),
            new MapOp(anchors.Low + 0x4000_0000, 0x4000_0000, PageSize.Size1G, MappingFlags.Read | MappingFlags.Execute),
            new MapOp(anchors.Mid + 0x20_0000, 0x60_0000, PageSize.Size2M, MappingFlags.Read | MappingFlags.User),
            new MapOp(anchors.HighBottom + 0x3000, 0x9000, PageSize.Size4K, MappingFlags.Read | MappingFlags.Device),
            new MapOp(anchors.HighTop + 0x4000_0000, 0x8000_0000, PageSize.Size2M, MappingFlags.Read | MappingFlags.Write | MappingFlags.User),
        ];
    }

    public static RunStats Run(TableKind kind, IReadOnlyList<PageOp> ops, RunOptions? options = null)
    {
        options ??= RunOptions.Default;
        var arenas = options.Arenas ?? new RunArenas(options.ArenaFrames);
        try
        {
            if (arenas.Main.FrameCount != options.ArenaFrames)
                throw new ArgumentException($"The reused main arena has {arenas.Main.FrameCount} frames, the options ask for {options.ArenaFrames}.", nameof(options));
            arenas.MakeFresh();
            return RunIn(arenas.Main, arenas.Foreign, kind, ops, options);
        }
        finally
        {
            if (options.Arenas is null) arenas.Dispose();
        }
    }

    private static RunStats RunIn(FrameArena arena, FrameArena foreignArena, TableKind kind, IReadOnlyList<PageOp> ops, RunOptions options)
    {
        var stats = new RunStats { Sequences = 1 };
        var factory = options.ImplFactory ?? Tables.CreateImpl;
        var model = new ReferenceModel(Tables.ModelArch(kind));
        var peerModel = new ReferenceModel(Tables.ModelArch(kind));
        IImplTable? impl = null, peer = null, foreign = null;
        var done = new List<PageOp>(ops.Count);
        try
        {
            impl = factory(kind, arena);
            peer = factory(kind, arena);
            foreign = factory(kind, foreignArena);
            foreach (var op in PeerSetup(kind))
            {
                var a = peer.Apply(op, null, null);
                var b = ModelSide.Apply(peerModel, op, peerModel);
                if (!a.IsOk || !b.IsOk) throw new EquivalenceException($"Peer setup {op} failed: Impl {a}, Model {b}.");
            }

            for (int step = 0; step < ops.Count; step++)
            {
                var op = ops[step];
                done.Add(op);
                var splits = Coverage.SplitsOf(model, op);
                var before = model.Translate(op.Address);
                var implOut = impl.Apply(op, peer, foreign);
                if (options.TolerateNoMemory && implOut.Error == nameof(PagingError.NoMemory))
                {
                    // The model is not stepped, so its state is still the state before this step.
                    stats.Add(kind, op, implOut, before, splits);
                    CompareState(kind, done, impl, model, "after NoMemory (must be unchanged)");
                    CheckFrames(kind, done, arena, impl, peer);
                    options.AfterStep?.Invoke(new StepContext(kind, step, op, impl, model, arena));
                    continue;
                }
                var modelOut = ModelSide.Apply(model, op, peerModel);
                stats.Add(kind, op, implOut, before, splits);
                if (implOut != modelOut)
                    throw Fail(kind, done, $"results differ: Impl {implOut}, Model {modelOut}");
                if (options.CheckStateEveryStep || step == ops.Count - 1)
                {
                    CompareState(kind, done, impl, model, "state");
                    CheckFrames(kind, done, arena, impl, peer);
                }
                options.AfterStep?.Invoke(new StepContext(kind, step, op, impl, model, arena));
            }

            impl.Dispose();
            peer.Dispose();
            foreign.Dispose();
            if (arena.InUse != 0 || arena.TotalAllocated != arena.TotalFreed)
                throw Fail(kind, done, $"after Dispose {arena.InUse} frames are still in use ({arena.TotalAllocated} allocated, {arena.TotalFreed} freed)");
            if (foreignArena.InUse != 0)
                throw Fail(kind, done, $"after Dispose the foreign arena still has {foreignArena.InUse} frames in use");
            return stats;
        }
        finally
        {
            // Disposing twice is allowed; this only matters when a check threw above.
            impl?.Dispose();
            peer?.Dispose();
            foreign?.Dispose();
        }
    }

    /// <summary>Every frame in use in the arena is a table frame one of the two tables owns.</summary>
    private static void CheckFrames(TableKind kind, List<PageOp> done, FrameArena arena, IImplTable impl, IImplTable peer)
    {
        int owned = impl.OwnedTableFrames() + peer.OwnedTableFrames();
        if (arena.InUse != owned)
            throw Fail(kind, done, $"frame accounting: the arena has {arena.InUse} frames in use, the tables own {owned}");
    }

    /// <summary>Impl's leaves (found by <c>Walk</c>, in address order) must be the model's mappings sorted by address.</summary>
    private static void CompareState(TableKind kind, List<PageOp> done, IImplTable impl, ReferenceModel model, string what)
    {
        var actual = impl.Leaves();
        var expected = ModelSide.Leaves(model);
        if (actual.SequenceEqual(expected)) return;
        var sb = new StringBuilder($"{what} differs:");
        var onlyImpl = actual.Except(expected).Take(8).ToList();
        var onlyModel = expected.Except(actual).Take(8).ToList();
        sb.Append($"\n  only in Impl ({actual.Count} leaves): {string.Join(" ", onlyImpl)}");
        sb.Append($"\n  only in Model ({expected.Count} mappings): {string.Join(" ", onlyModel)}");
        throw Fail(kind, done, sb.ToString());
    }

    private static EquivalenceException Fail(TableKind kind, List<PageOp> done, string what) =>
        new($"{kind}, step {done.Count}{(done.Count > 0 ? $" ({done[^1]})" : "")}: {what}.\nSequence up to the failing step:{new OpSequence(kind, done.ToArray())}");
}

/// <summary>Replays a sequence (a pasted regression test) and throws at the first difference.</summary>
public static class Replay
{
    public static void Run(TableKind kind, params PageOp[] ops) => Equivalence.Run(kind, ops);
}
