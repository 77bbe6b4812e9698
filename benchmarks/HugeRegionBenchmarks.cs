using BenchmarkDotNet.Attributes;
using PageTableModel;

namespace PageTableMultiarch.Benchmarks;

/// <summary>
/// <c>MapRegion</c> of 1 GiB with huge pages allowed, into an empty table, time per call:
/// <list type="bullet">
/// <item><c>MapHugeAligned</c>: from a 1 GiB boundary (virtual and physical) in a root slot that holds nothing yet: one
/// 1G page (on a 4-level table, a new table under the root; on Sv39, one root entry). Each call takes another root slot
/// (the <see cref="Slots"/> of the lower half), in <see cref="AlignedTables"/> tables per iteration;</item>
/// <item><c>MapHuge</c>: from 4 KiB past a 1 GiB boundary: 511 4K pages, 511 2M pages and one 4K page.</item>
/// </list>
/// Both are too short to time one at a time, so each iteration makes the calls into fresh empty tables (or models) made
/// by the untimed iteration setup, all in one invocation (<c>OperationsPerInvoke</c>), and the cleanup checks what they
/// map. (Timing the aligned map 64 calls at a time, as before 2026-12-01 evening, measured mostly this machine's cost of
/// taking the time: 0.4–1.1 µs per measurement, as much as the 64 calls.)
/// <c>Walk</c> is the original crate's algorithm (<see cref="PerPageWalk{TMeta, TPte}"/>): one walk from the root per step.
/// </summary>
[GenericTypeArguments(typeof(X64PagingMetaData), typeof(X64Pte))]
[GenericTypeArguments(typeof(A64PagingMetaData), typeof(A64Pte))]
[GenericTypeArguments(typeof(Sv39PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(Sv48PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(La64PagingMetaData), typeof(La64Pte))]
[InvocationCount(1)]
[BenchmarkCategory("Region")]
public class HugeRegionBenchmarks<TMeta, TPte>
    where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
{
    private const int Tables = 64;
    private const int AlignedTables = 2;
    private const int Slots = 256;
    private const ulong HugeVa = Fixture.RegionVa + Fixture.Page;
    private const ulong HugePa = Fixture.RegionPa + Fixture.Page;

    private FrameArena _arena = null!;
    private readonly PageTable64<TMeta, TPte, ArenaHandler>[] _tables = new PageTable64<TMeta, TPte, ArenaHandler>[Tables];
    private readonly ReferenceModel[] _models = new ReferenceModel[Tables];
    private readonly Func<ulong, ulong> _modelPaddr = v => HugePa + (v - HugeVa);

    [GlobalSetup]
    public void GlobalSetup() => _arena = Fixture.Arena(Tables * 8 + AlignedTables * Slots);

    /// <summary>For the model's map, which calls a lambda per page: the lambda optimized first (see <see cref="Fixture.SettleTiers"/>).</summary>
    [GlobalSetup(Target = nameof(MapHuge_Model))]
    public void GlobalSetupWithLambda()
    {
        GlobalSetup();
        Fixture.SettleTiers(() => _modelPaddr(HugeVa));
    }

    [GlobalCleanup]
    public void GlobalCleanup() => _arena.Dispose();

    [IterationSetup(Targets = [nameof(MapHuge_Cursor), nameof(MapHuge_Walk), nameof(MapHugeAligned_Cursor), nameof(MapHugeAligned_Walk)])]
    public void EmptyTables()
    {
        for (int i = 0; i < Tables; i++) _tables[i] = Fixture.NewTable<TMeta, TPte>(_arena);
    }

    [IterationCleanup(Targets = [nameof(MapHuge_Cursor), nameof(MapHuge_Walk)])]
    public void CheckUnalignedAndDispose()
    {
        foreach (var table in _tables)
        {
            CheckMaps(table, HugeVa, HugePa,
                [(0, PageSize.Size4K), (0x1F_F000, PageSize.Size2M), (Fixture.OneGiB - 0x20_1000, PageSize.Size2M), (Fixture.OneGiB - Fixture.Page, PageSize.Size4K)]);
        }
        DisposeAll();
    }

    [IterationCleanup(Targets = [nameof(MapHugeAligned_Cursor), nameof(MapHugeAligned_Walk)])]
    public void CheckAlignedAndDispose()
    {
        foreach (var table in _tables.AsSpan(0, AlignedTables))
        {
            for (int slot = 0; slot < Slots; slot++)
                CheckMaps(table, SlotVa(slot), SlotPa(slot), [(0, PageSize.Size1G), (Fixture.OneGiB - Fixture.Page, PageSize.Size1G)]);
        }
        DisposeAll();
    }

    /// <summary>The start of root slot <paramref name="slot"/>: 1 GiB apart on Sv39, 512 GiB on the 4-level tables.</summary>
    private static ulong SlotVa(int slot) => (ulong)slot << (12 + 9 * (TMeta.Levels - 1));

    /// <summary>A 1 GiB-aligned frame per slot, inside every architecture's physical width.</summary>
    private static ulong SlotPa(int slot) => Fixture.RegionPa + (ulong)slot * Fixture.OneGiB;

    /// <summary><paramref name="table"/> maps each of <paramref name="probes"/> (offset, page size) from <paramref name="va"/>
    /// to <paramref name="pa"/> + offset.</summary>
    private static void CheckMaps(PageTable64<TMeta, TPte, ArenaHandler> table, ulong va, ulong pa, (ulong Offset, PageSize Size)[] probes)
    {
        foreach (var (offset, size) in probes)
        {
            var result = table.Query(new VirtAddr(va + offset));
            if (!result.IsOk || result.Value != (new PhysAddr(pa + offset), Fixture.Flags, size))
                throw new InvalidOperationException($"0x{va + offset:x}: {result}, expected a {size} page");
        }
    }

    /// <summary>The tables go, and no frame may stay in use.</summary>
    private void DisposeAll()
    {
        foreach (var table in _tables) table.Dispose();
        if (_arena.InUse != 0) throw new InvalidOperationException($"{_arena.InUse} frames leaked");
    }

    [IterationSetup(Targets = [nameof(MapHuge_Model)])]
    public void EmptyModels()
    {
        for (int i = 0; i < Tables; i++) _models[i] = new ReferenceModel(Fixture.ModelArch<TMeta>());
    }

    [Benchmark(OperationsPerInvoke = Tables), BenchmarkCategory("Map 1 GiB, huge allowed, unaligned start")]
    public void MapHuge_Cursor()
    {
        foreach (var table in _tables)
            Fixture.Check(table.MapRegion(new VirtAddr(HugeVa), new PhysAddr(HugePa), Fixture.OneGiB, Fixture.Flags, true, false), "map");
    }

    [Benchmark(OperationsPerInvoke = Tables), BenchmarkCategory("Map 1 GiB, huge allowed, unaligned start")]
    public void MapHuge_Walk()
    {
        foreach (var table in _tables)
            PerPageWalk<TMeta, TPte>.MapRegion(_arena, table.RootPaddr, HugeVa, HugePa, Fixture.OneGiB, Fixture.Flags, true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Tables), BenchmarkCategory("Map 1 GiB, huge allowed, unaligned start")]
    public void MapHuge_Model()
    {
        foreach (var model in _models)
            Fixture.Check(model.MapRegion(HugeVa, _modelPaddr, Fixture.OneGiB, Fixture.ModelRw, true), "map");
    }

    [Benchmark(OperationsPerInvoke = AlignedTables * Slots), BenchmarkCategory("Map 1 GiB, huge allowed, aligned")]
    public void MapHugeAligned_Cursor()
    {
        foreach (var table in _tables.AsSpan(0, AlignedTables))
        {
            for (int slot = 0; slot < Slots; slot++)
                Fixture.Check(table.MapRegion(new VirtAddr(SlotVa(slot)), new PhysAddr(SlotPa(slot)), Fixture.OneGiB, Fixture.Flags, true, false), "map");
        }
    }

    [Benchmark(OperationsPerInvoke = AlignedTables * Slots), BenchmarkCategory("Map 1 GiB, huge allowed, aligned")]
    public void MapHugeAligned_Walk()
    {
        foreach (var table in _tables.AsSpan(0, AlignedTables))
        {
            for (int slot = 0; slot < Slots; slot++)
                PerPageWalk<TMeta, TPte>.MapRegion(_arena, table.RootPaddr, SlotVa(slot), SlotPa(slot), Fixture.OneGiB, Fixture.Flags, true);
        }
    }
}
