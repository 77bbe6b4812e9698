using System.Text;
using PageTableModel;

namespace PageTableMultiarch.Harness;

/// <summary>What a run counted, for summaries.</summary>
public sealed class RunStats
{
    private static readonly int KindCount = Enum.GetValues<OpKind>().Length;

    public long Sequences;
    public long Ops;

    // Counts per result text ("Ok" or the error's name), one per operation kind.
    private readonly Dictionary<string, long[]> _counts = new(StringComparer.Ordinal);

    /// <summary>Operations counted by operation kind and result ("Ok" or the error's name). A fresh dictionary.</summary>
    public Dictionary<(OpKind Kind, string Result), long> ByOutcome
    {
        get
        {
            var byOutcome = new Dictionary<(OpKind Kind, string Result), long>();
            foreach (var (result, byKind) in _counts)
                for (int k = 0; k < byKind.Length; k++)
                    if (byKind[k] != 0) byOutcome[((OpKind)k, result)] = byKind[k];
            return byOutcome;
        }
    }

    public void Add(OpKind kind, Outcome outcome)
    {
        Ops++;
        CountsOf(outcome.Error ?? "Ok")[(int)kind]++;
    }

    public void Merge(RunStats other)
    {
        Sequences += other.Sequences;
        Ops += other.Ops;
        foreach (var (result, byKind) in other._counts)
        {
            var mine = CountsOf(result);
            for (int k = 0; k < byKind.Length; k++) mine[k] += byKind[k];
        }
    }

    private long[] CountsOf(string result)
    {
        if (!_counts.TryGetValue(result, out var counts)) _counts.Add(result, counts = new long[KindCount]);
        return counts;
    }
}

/// <summary>Options of a run.</summary>
public sealed record RunOptions
{
    /// <summary>Frames in the arena. The default is large enough that NoMemory never happens.</summary>
    public int ArenaFrames { get; init; } = 4096;

    /// <summary>When true, NoMemory from Impl is allowed: the model is not stepped and the state must be unchanged.</summary>
    public bool TolerateNoMemory { get; init; }

    /// <summary>Compare the whole mapping state after every step (else only at the end).</summary>
    public bool CheckStateEveryStep { get; init; } = true;

    /// <summary>Creates Impl's table; the default makes the ready type of the sequence's kind. Faulty variants plug in here.</summary>
    public Func<TableKind, FrameArena, IImplTable>? ImplFactory { get; init; }

    /// <summary>Extra checks after every step (the hardware walkers plug in here).</summary>
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
        var arenas = ArenaCache.Rent(options.ArenaFrames);
        bool passed = false;
        try
        {
            var stats = RunIn(arenas, kind, ops, options);
            passed = true;
            return stats;
        }
        finally
        {
            ArenaCache.Return(arenas, passed);
        }
    }

    private static RunStats RunIn(ArenaCache.Pair arenas, TableKind kind, IReadOnlyList<PageOp> ops, RunOptions options)
    {
        var stats = new RunStats { Sequences = 1 };
        var factory = options.ImplFactory ?? Tables.CreateImpl;
        var arena = arenas.Main;
        var foreignArena = arenas.Foreign;
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
                var implOut = impl.Apply(op, peer, foreign);
                if (options.TolerateNoMemory && implOut.Error == nameof(PagingError.NoMemory))
                {
                    // The model is not stepped, so its state is still the state before this step.
                    stats.Add(op.Kind, implOut);
                    CheckState(kind, done, impl, model, "after NoMemory (must be unchanged)");
                    continue;
                }
                var modelOut = ModelSide.Apply(model, op, peerModel);
                stats.Add(op.Kind, implOut);
                if (implOut != modelOut)
                    throw Fail(kind, done, $"results differ: Impl {implOut}, Model {modelOut}");
                if (options.CheckStateEveryStep || step == ops.Count - 1)
                {
                    int owned = CheckState(kind, done, impl, model, "state")
                        + (peer is IStateWalker peerWalker ? peerWalker.WalkStateCached(out _) : peer.OwnedTableFrames());
                    if (arena.InUse != owned)
                        throw Fail(kind, done, $"frame accounting: the arena has {arena.InUse} frames in use, the tables own {owned}");
                }
                options.AfterStep?.Invoke(new StepContext(kind, step, op, impl, model, arena));
            }

            impl.Dispose();
            peer.Dispose();
            foreign.Dispose();
            long allocated = arena.TotalAllocated - arenas.MainAllocatedAtStart, freed = arena.TotalFreed - arenas.MainFreedAtStart;
            if (arena.InUse != 0 || allocated != freed)
                throw Fail(kind, done, $"after Dispose {arena.InUse} frames are still in use ({allocated} allocated, {freed} freed)");
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

    /// <summary>
    /// Compares Impl's whole mapping state (its leaves, found by <c>Walk</c>) with the model's and returns the table
    /// frames Impl owns (<see cref="IImplTable.OwnedTableFrames"/>); throws at a difference.
    /// </summary>
    /// <remarks>
    /// The check is that Impl's leaves, in walk order, equal the model's mappings sorted by address. It is done
    /// without text or sorting: the walk's addresses must strictly increase, the counts must be equal, and each leaf
    /// must equal the model's mapping at its address (address, size and <see cref="Tables.FlagCode(MappingFlags)"/>,
    /// which is equal exactly when the flag texts are). Distinct addresses make that a one-to-one match of two sorted
    /// lists, so it holds exactly when the lists are equal. On a difference the leaves are compared again as text,
    /// which gives the report.
    /// </remarks>
    private static int CheckState(TableKind kind, List<PageOp> done, IImplTable impl, ReferenceModel model, string what)
    {
        if (impl is IStateWalker walker)
        {
            int owned = walker.WalkStateCached(out var leaves);
            if (SameState(leaves.Items, model)) return owned;
            CompareState(kind, done, impl, ModelSide.Leaves(model), what);
            throw new InvalidOperationException($"Harness bug: the numeric state comparison found a difference the text comparison did not ({kind}, step {done.Count}).");
        }
        CompareState(kind, done, impl, ModelSide.Leaves(model), what);
        return impl.OwnedTableFrames();
    }

    private static bool SameState(ReadOnlySpan<LeafBits> leaves, ReferenceModel model)
    {
        if (leaves.Length != model.MappingCount) return false;
        for (int i = 0; i < leaves.Length; i++)
        {
            ref readonly var leaf = ref leaves[i];
            if (i > 0 && leaf.Va <= leaves[i - 1].Va) return false;
            if (!model.TryGetMapping(leaf.Va, out var m) || m.Pa != leaf.Pa || m.Size != leaf.Size || Tables.FlagCode(m.Flags) != leaf.Flags)
                return false;
        }
        return true;
    }

    private static void CompareState(TableKind kind, List<PageOp> done, IImplTable impl, List<Leaf> expected, string what)
    {
        var actual = impl.Leaves();
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
