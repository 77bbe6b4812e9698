using FsCheck;
using FsCheck.Fluent;
using PageTableModel;
using PageTableModel.Ownership;
using Xunit;

namespace PageTableMultiarch.Properties.Safety;

/// <summary>One step of a lifecycle sequence over three table handles (T0, T1 in arena 0; T2 in arena 1).</summary>
public abstract record LifeOp
{
    /// <summary>Maps the page of size 4K (0), 2M (1) or 1G (2) that holds address-pool entry <c>Va</c>.</summary>
    public sealed record Map(int T, int Va, int Size) : LifeOp;

    /// <summary>Unmaps the 4K-aligned address-pool entry.</summary>
    public sealed record Unmap(int T, int Va) : LifeOp;

    /// <summary>Maps <c>Pages</c> 4K pages ending two pages past a 2M boundary, with a callback that may throw, dispose the
    /// arena, or try to change the table (which must be refused).</summary>
    public sealed record Region(int T, int Va, int Pages, int ThrowAt, int DisposeArenaAt, bool Reenter) : LifeOp;

    /// <summary>Copies root slot <c>Slot</c> of handle <c>Src</c> into handle <c>Dst</c>.</summary>
    public sealed record Copy(int Dst, int Src, int Slot) : LifeOp;

    /// <summary>Disposes the handle's table.</summary>
    public sealed record DisposeTable(int T) : LifeOp;

    /// <summary>Puts a new table into the handle (if its table was disposed) in the handle's arena.</summary>
    public sealed record Recreate(int T) : LifeOp;

    /// <summary>Disposes an arena while its tables live.</summary>
    public sealed record DisposeArena(int A) : LifeOp;

    /// <summary>Walks the handle's table with a visitor that tries to unmap (refused) and reads (allowed).</summary>
    public sealed record WalkReenter(int T) : LifeOp;
}

/// <summary>
/// Ownership as an oracle: generated lifecycle sequences — several tables on two arenas, CopyFrom in both directions
/// and in cycles, tables and arenas disposed in the middle, throwing, arena-disposing and re-entrant callbacks — run on
/// Impl and on <see cref="FrameOwnershipModel"/> side by side. After every step: the same outcome; for every usable
/// table the same root, the same table frames at the same places and the same leaves; the same borrowed and lent
/// slots; and for every live arena exactly the same frames in use. So no frame is reachable from two owners unless
/// shared by CopyFrom, none is reachable after it was freed, and none is lost. At the end every table is disposed
/// and every live arena must be empty.
/// </summary>
public abstract class OwnershipProperties<TMeta, TPte>
    where TMeta : struct, IPagingMetaData
    where TPte : unmanaged, IGenericPte<TPte>
{
    private const ulong K4 = 0x1000, M2 = 0x20_0000, G1 = 0x4000_0000;
    private static readonly ulong[] ArenaBases = [0x8000_0000, 0x4000_0000];
    private static readonly int[] HandleArena = [0, 0, 1];

    /// <summary>The model's description of this architecture.</summary>
    protected abstract ArchSpec Arch { get; }

    /// <summary>Addresses in root slots 0 and 1, at 1G, 2M and 4K boundaries inside them.</summary>
    private List<ulong> Pool()
    {
        var pool = new List<ulong>();
        for (ulong slot = 0; slot < 2; slot++)
            for (ulong g = 0; g < (TMeta.Levels == 3 ? 1UL : 2UL); g++)
                for (ulong m = 0; m < 2; m++)
                    for (ulong p = 0; p < 2; p++)
                        pool.Add(slot * Arch.RootSlotSpan + g * G1 + m * M2 + p * K4);
        return pool;
    }

    private Gen<LifeOp[]> Sequences()
    {
        int poolSize = Pool().Count;
        var t = Gen.Choose(0, 2);
        var va = Gen.Choose(0, poolSize - 1);
        var map = from h in t from v in va from s in Gen.Choose(0, 2) select (LifeOp)new LifeOp.Map(h, v, s);
        var unmap = from h in t from v in va select (LifeOp)new LifeOp.Unmap(h, v);
        var region = from h in t
                     from v in va
                     from pages in Gen.Choose(1, 4)
                     from throwAt in Gen.Frequency((3, Gen.Constant(-1)), (1, Gen.Choose(0, 3)))
                     from disposeAt in Gen.Frequency((8, Gen.Constant(-1)), (1, Gen.Choose(0, 3)))
                     from reenter in Gen.Elements(false, true)
                     select (LifeOp)new LifeOp.Region(h, v, pages, throwAt, disposeAt, reenter);
        var copy = from d in t from s in t from slot in Gen.Choose(0, 1) select (LifeOp)new LifeOp.Copy(d, s, slot);
        var dispose = from h in t select (LifeOp)new LifeOp.DisposeTable(h);
        var recreate = from h in t select (LifeOp)new LifeOp.Recreate(h);
        var disposeArena = from a in Gen.Choose(0, 1) select (LifeOp)new LifeOp.DisposeArena(a);
        var walk = from h in t select (LifeOp)new LifeOp.WalkReenter(h);
        var op = Gen.Frequency((8, map), (3, unmap), (3, region), (5, copy), (2, dispose), (3, recreate), (1, disposeArena), (1, walk));
        return from n in Gen.Choose(1, 30) from ops in Gen.ArrayOf(op, n) select ops;
    }

    /// <summary>Shrinks a sequence by dropping one step at a time (from the end first), so a failure ends minimal.</summary>
    private static IEnumerable<LifeOp[]> Shrink(LifeOp[] ops)
    {
        for (int i = ops.Length - 1; i >= 0; i--) yield return [.. ops[..i], .. ops[(i + 1)..]];
    }

    [Fact]
    public void ImplOwnershipMatchesTheModelAtEveryStep()
    {
        var frames = Gen.Elements(6, 12, 24).ToArbitrary();
        var property = Prop.ForAll(Arb.From(Sequences(), Shrink), frames, (ops, n) => new Run(this, n).Execute(ops));
        Check.One($"{Arch.Name} ownership", PropertySettings.Config, property);
    }

    /// <summary>One sequence on both sides.</summary>
    private sealed class Run(OwnershipProperties<TMeta, TPte> owner, int arenaFrames)
    {
        private readonly ArchSpec _arch = owner.Arch;
        private readonly List<ulong> _pool = owner.Pool();
        private readonly FrameOwnershipModel _model = new(owner.Arch);
        private readonly FrameArena[] _arenas = new FrameArena[2];
        private readonly PageTable64<TMeta, TPte, ArenaHandler>?[] _impl = new PageTable64<TMeta, TPte, ArenaHandler>?[3];
        private readonly int[] _modelTable = new int[3];

        public void Execute(LifeOp[] ops)
        {
            try
            {
                for (int a = 0; a < 2; a++)
                {
                    _arenas[a] = new FrameArena(new PhysAddr(ArenaBases[a]), arenaFrames);
                    _model.AddArena(ArenaBases[a], arenaFrames);
                }
                for (int h = 0; h < 3; h++) Recreate(h);
                Compare("setup");
                for (int step = 0; step < ops.Length; step++)
                {
                    LifeOp op = ops[step];
                    string expected = ApplyModel(op);
                    string actual = ApplyImpl(op);
                    Assert.True(expected == actual, $"step {step} {op}: Impl gave {actual}, the model {expected}");
                    Compare($"after step {step} {op}");
                }
                for (int h = 0; h < 3; h++)
                {
                    _impl[h]?.Dispose();
                    if (_modelTable[h] >= 0) _model.DisposeTable(_modelTable[h]);
                }
                for (int a = 0; a < 2; a++)
                {
                    if (!_arenas[a].IsDisposed) Assert.True(_arenas[a].InUse == 0, $"arena {a} keeps {_arenas[a].InUse} frames after every table was disposed");
                }
                Compare("after disposing every table");
            }
            finally
            {
                foreach (var arena in _arenas) arena?.Dispose();
            }
        }

        private ulong PageVa(int index, int size) => _pool[index] & ~(SizeOf(size) - 1);

        private static ulong SizeOf(int size) => size switch { 0 => K4, 1 => M2, _ => G1 };

        private static ulong PaOf(int index) => (ulong)(index + 1) * G1;

        private string ApplyModel(LifeOp op)
        {
            switch (op)
            {
                case LifeOp.Map m:
                    return _model.Map(_modelTable[m.T], PageVa(m.Va, m.Size), PaOf(m.Va), _arch.Levels - 1 - m.Size);
                case LifeOp.Unmap u:
                    return _model.Unmap(_modelTable[u.T], _pool[u.Va]);
                case LifeOp.Region r:
                {
                    ulong start = RegionStart(r);
                    return _model.MapRegion(_modelTable[r.T], start, PaOf(r.Va), r.Pages, r.ThrowAt, r.DisposeArenaAt);
                }
                case LifeOp.Copy c:
                    return _model.CopyFrom(_modelTable[c.Dst], _modelTable[c.Src], c.Slot);
                case LifeOp.DisposeTable d:
                    return _model.DisposeTable(_modelTable[d.T]);
                case LifeOp.Recreate r:
                {
                    if (!_model.Tables[_modelTable[r.T]].Disposed) return "kept";
                    string outcome = _model.CreateTable(HandleArena[r.T], out int created);
                    if (created >= 0) _modelTable[r.T] = created;
                    return outcome;
                }
                case LifeOp.DisposeArena a:
                    _model.DisposeArena(a.A);
                    return FrameOwnershipModel.Ok;
                case LifeOp.WalkReenter w:
                    return _model.Tables[_modelTable[w.T]].IsUsable ? FrameOwnershipModel.Ok : "throws ObjectDisposedException";
                default:
                    throw new ArgumentOutOfRangeException(nameof(op));
            }
        }

        private ulong RegionStart(LifeOp.Region r) => (_pool[r.Va] & ~(M2 - 1)) + M2 - 2 * K4;

        private string ApplyImpl(LifeOp op)
        {
            try
            {
                return ApplyImplOrThrow(op);
            }
            catch (Exception e) when (e is ObjectDisposedException or TimeoutException or InvalidOperationException)
            {
                return "throws " + e.GetType().Name;
            }
        }

        private string ApplyImplOrThrow(LifeOp op)
        {
            switch (op)
            {
                case LifeOp.Map m:
                    return Text(_impl[m.T]!.Map(new VirtAddr(PageVa(m.Va, m.Size)), new PhysAddr(PaOf(m.Va)), (PageSize)SizeOf(m.Size), MappingFlags.Read).ErrorOrNull);
                case LifeOp.Unmap u:
                    return Text(_impl[u.T]!.Unmap(new VirtAddr(_pool[u.Va])).ErrorOrNull);
                case LifeOp.Region r:
                {
                    var table = _impl[r.T]!;
                    ulong start = RegionStart(r), pa = PaOf(r.Va);
                    int calls = 0;
                    bool refused = false;
                    var result = table.MapRegion(new VirtAddr(start), v =>
                    {
                        int page = calls++;
                        if (r.Reenter && page == 0)
                        {
                            try { table.Unmap(new VirtAddr(start)); }
                            catch (InvalidOperationException) { refused = true; }
                        }
                        if (page == r.ThrowAt) throw new TimeoutException("from the callback");
                        if (page == r.DisposeArenaAt) _arenas[HandleArena[r.T]].Dispose();
                        return new PhysAddr(pa + (v.Value - start));
                    }, (ulong)r.Pages * K4, MappingFlags.Read, allowHuge: false, flushTlbByPage: false);
                    Assert.True(!r.Reenter || refused, "a change from inside the callback was not refused");
                    return Text(result.ErrorOrNull);
                }
                case LifeOp.Copy c:
                    return Text(_impl[c.Dst]!.CopyFrom(_impl[c.Src]!, new VirtAddr((ulong)c.Slot * _arch.RootSlotSpan), K4).ErrorOrNull);
                case LifeOp.DisposeTable d:
                    _impl[d.T]!.Dispose();
                    return FrameOwnershipModel.Ok;
                case LifeOp.Recreate r:
                    if (!_impl[r.T]!.IsDisposed) return "kept";
                    return Recreate(r.T);
                case LifeOp.DisposeArena a:
                    _arenas[a.A].Dispose();
                    return FrameOwnershipModel.Ok;
                case LifeOp.WalkReenter w:
                {
                    var table = _impl[w.T]!;
                    int refusals = 0, entries = 0;
                    table.Walk(int.MaxValue, (level, index, va, e) =>
                    {
                        entries++;
                        _ = table.Query(va).IsOk; // reading is allowed (no exception)
                        try { table.Unmap(va); }
                        catch (InvalidOperationException) { refusals++; }
                    }, null);
                    Assert.Equal(entries, refusals);
                    return FrameOwnershipModel.Ok;
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(op));
            }
        }

        /// <summary>Creates the handle's Impl table (setup or <see cref="LifeOp.Recreate"/>); the model's in step.</summary>
        private string Recreate(int handle)
        {
            var created = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(_arenas[HandleArena[handle]]));
            if (_impl[handle] is null)
            {
                // Setup: both sides at once.
                Assert.True(created.IsOk);
                _impl[handle] = created.Value;
                Assert.Equal(FrameOwnershipModel.Ok, _model.CreateTable(HandleArena[handle], out _modelTable[handle]));
                return FrameOwnershipModel.Ok;
            }
            if (created.IsOk) _impl[handle] = created.Value;
            return Text(created.ErrorOrNull);
        }

        private static string Text(PagingError? error) => error?.ToString() ?? FrameOwnershipModel.Ok;

        private void Compare(string when)
        {
            for (int a = 0; a < 2; a++)
            {
                var modelArena = _model.Arenas[a];
                Assert.True(modelArena.Disposed == _arenas[a].IsDisposed, $"{when}: arena {a} disposed differs");
                if (modelArena.Disposed) continue;
                for (int i = 0; i < arenaFrames; i++)
                {
                    var frame = new PhysAddr(ArenaBases[a] + (ulong)i * K4);
                    bool modelInUse = !modelArena.Free.Contains(frame.Value);
                    Assert.True(modelInUse == _arenas[a].IsInUse(frame),
                        $"{when}: arena {a} frame {frame}: in use {_arenas[a].IsInUse(frame)}, model says {modelInUse}");
                }
            }
            for (int h = 0; h < 3; h++)
            {
                var table = _impl[h]!;
                var state = _model.Tables[_modelTable[h]];
                Assert.True(state.Disposed == table.IsDisposed, $"{when}: T{h} disposed differs");
                if (!state.IsUsable) continue;
                Assert.True(state.Root.Frame == table.RootPaddr.Value, $"{when}: T{h} root {table.RootPaddr}, model 0x{state.Root.Frame:x}");
                var (frames, leaves) = ImplShape(table);
                var modelFrames = _model.TableFrames(state).Skip(1).Select(f => (f.Level, Mask(f.Va), f.Frame)).ToList();
                var modelLeaves = _model.LeavesOf(state).Select(l => (l.Level, Mask(l.Va), l.Pa)).ToList();
                Assert.True(modelFrames.SequenceEqual(frames), $"{when}: T{h} tables {Show(frames)}, model {Show(modelFrames)}");
                Assert.True(modelLeaves.SequenceEqual(leaves), $"{when}: T{h} leaves {Show(leaves)}, model {Show(modelLeaves)}");
                for (int slot = 0; slot < 2; slot++)
                {
                    Assert.True(state.Borrowed.Contains(slot) == table.IsBorrowedSlot(slot), $"{when}: T{h} slot {slot} borrowed differs");
                    Assert.True(_model.IsLent(state, slot) == table.IsLentSlot(slot), $"{when}: T{h} slot {slot} lent differs");
                }
            }
        }

        private ulong Mask(ulong va) => va & ((1UL << _arch.VaBits) - 1);

        private (List<(int, ulong, ulong)> Tables, List<(int, ulong, ulong)> Leaves) ImplShape(PageTable64<TMeta, TPte, ArenaHandler> table)
        {
            var tables = new List<(int, ulong, ulong)>();
            var leaves = new List<(int, ulong, ulong)>();
            table.Walk(int.MaxValue, (level, _, va, e) =>
            {
                if (level == TMeta.Levels - 1 || e.IsHuge) leaves.Add((level, Mask(va.Value), e.Paddr.Value));
                else tables.Add((level, Mask(va.Value), e.Paddr.Value));
            }, null);
            return (tables, leaves.OrderBy(l => l.Item2).ToList());
        }

        private static string Show(List<(int, ulong, ulong)> list) =>
            "[" + string.Join(", ", list.Select(x => $"L{x.Item1} 0x{x.Item2:x}->0x{x.Item3:x}")) + "]";
    }
}

public sealed class X64OwnershipProperties : OwnershipProperties<X64PagingMetaData, X64Pte>
{
    protected override ArchSpec Arch => ArchSpec.X64;
}

public sealed class A64OwnershipProperties : OwnershipProperties<A64PagingMetaData, A64Pte>
{
    protected override ArchSpec Arch => ArchSpec.A64;
}

public sealed class Sv39OwnershipProperties : OwnershipProperties<Sv39PagingMetaData, RiscVPte>
{
    protected override ArchSpec Arch => ArchSpec.Sv39;
}

public sealed class Sv48OwnershipProperties : OwnershipProperties<Sv48PagingMetaData, RiscVPte>
{
    protected override ArchSpec Arch => ArchSpec.Sv48;
}

public sealed class La64OwnershipProperties : OwnershipProperties<La64PagingMetaData, La64Pte>
{
    protected override ArchSpec Arch => ArchSpec.La64;
}
