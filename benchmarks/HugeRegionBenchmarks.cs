using BenchmarkDotNet.Attributes;
using PageTableModel;

namespace PageTableMultiarch.Benchmarks;

/// <summary>
/// <c>MapRegion</c> of 1 GiB with huge pages allowed, into an empty table, time per call:
/// <list type="bullet">
/// <item><c>MapHugeAligned</c>: from a 1 GiB boundary (virtual and physical): one 1G page (on a 4-level table, a new
/// table under the root; on Sv39, one root entry);</item>
/// <item><c>MapHuge</c>: from 4 KiB past a 1 GiB boundary: 511 4K pages, 511 2M pages and one 4K page.</item>
/// </list>
/// Both are too short for one call per iteration, so each iteration maps into <see cref="Tables"/> fresh empty tables
/// (or models) made by the untimed iteration setup, one per invocation, and the cleanup checks what they map.
/// <c>Walk</c> is the original crate's algorithm (<see cref="PerPageWalk{TMeta, TPte}"/>): one walk from the root per step.
/// </summary>
[GenericTypeArguments(typeof(X64PagingMetaData), typeof(X64Pte))]
[GenericTypeArguments(typeof(A64PagingMetaData), typeof(A64Pte))]
[GenericTypeArguments(typeof(Sv39PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(Sv48PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(La64PagingMetaData), typeof(La64Pte))]
[InvocationCount(Tables)]
[BenchmarkCategory("Region")]
public class HugeRegionBenchmarks<TMeta, TPte>
    where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
{
    private const int Tables = 64;
    private const ulong HugeVa = Fixture.RegionVa + Fixture.Page;
    private const ulong HugePa = Fixture.RegionPa + Fixture.Page;

    private FrameArena _arena = null!;
    private readonly PageTable64<TMeta, TPte, ArenaHandler>[] _tables = new PageTable64<TMeta, TPte, ArenaHandler>[Tables];
    private readonly ReferenceModel[] _models = new ReferenceModel[Tables];
    private readonly Func<ulong, ulong> _modelPaddr = v => HugePa + (v - HugeVa);
    private int _next;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _arena = Fixture.Arena(Tables * 8);
        Fixture.SettleTiers(() => _modelPaddr(HugeVa));
    }

    [GlobalCleanup]
    public void GlobalCleanup() => _arena.Dispose();

    [IterationSetup(Targets = [nameof(MapHuge_Cursor), nameof(MapHuge_Walk), nameof(MapHugeAligned_Cursor), nameof(MapHugeAligned_Walk)])]
    public void EmptyTables()
    {
        for (int i = 0; i < Tables; i++) _tables[i] = Fixture.NewTable<TMeta, TPte>(_arena);
        _next = 0;
    }

    [IterationCleanup(Targets = [nameof(MapHuge_Cursor), nameof(MapHuge_Walk)])]
    public void CheckUnalignedAndDispose() => CheckAndDispose(HugeVa, HugePa,
        [(0, PageSize.Size4K), (0x1F_F000, PageSize.Size2M), (Fixture.OneGiB - 0x20_1000, PageSize.Size2M), (Fixture.OneGiB - Fixture.Page, PageSize.Size4K)]);

    [IterationCleanup(Targets = [nameof(MapHugeAligned_Cursor), nameof(MapHugeAligned_Walk)])]
    public void CheckAlignedAndDispose() => CheckAndDispose(Fixture.RegionVa, Fixture.RegionPa,
        [(0, PageSize.Size1G), (Fixture.OneGiB - Fixture.Page, PageSize.Size1G)]);

    /// <summary>Every table mapped in this iteration (BenchmarkDotNet's first iterations invoke fewer times than
    /// <see cref="Tables"/>) maps each of <paramref name="probes"/> (offset, page size) from <paramref name="va"/> to
    /// <paramref name="pa"/> + offset; then the tables go and no frame may stay in use.</summary>
    private void CheckAndDispose(ulong va, ulong pa, (ulong Offset, PageSize Size)[] probes)
    {
        if (_next == 0) throw new InvalidOperationException("no table was mapped");
        foreach (var table in _tables.AsSpan(0, _next))
        {
            foreach (var (offset, size) in probes)
            {
                var result = table.Query(new VirtAddr(va + offset));
                if (!result.IsOk || result.Value != (new PhysAddr(pa + offset), Fixture.Flags, size))
                    throw new InvalidOperationException($"0x{va + offset:x}: {result}, expected a {size} page");
            }
        }
        foreach (var table in _tables) table.Dispose();
        if (_arena.InUse != 0) throw new InvalidOperationException($"{_arena.InUse} frames leaked");
    }

    [IterationSetup(Targets = [nameof(MapHuge_Model)])]
    public void EmptyModels()
    {
        for (int i = 0; i < Tables; i++) _models[i] = new ReferenceModel(Fixture.ModelArch<TMeta>());
        _next = 0;
    }

    [Benchmark, BenchmarkCategory("Map 1 GiB, huge allowed, unaligned start")]
    public void MapHuge_Cursor() =>
        Fixture.Check(_tables[_next++].MapRegion(new VirtAddr(HugeVa), new PhysAddr(HugePa), Fixture.OneGiB, Fixture.Flags, true, false), "map");

    [Benchmark, BenchmarkCategory("Map 1 GiB, huge allowed, unaligned start")]
    public void MapHuge_Walk() =>
        PerPageWalk<TMeta, TPte>.MapRegion(_arena, _tables[_next++].RootPaddr, HugeVa, HugePa, Fixture.OneGiB, Fixture.Flags, true);

    [Benchmark(Baseline = true), BenchmarkCategory("Map 1 GiB, huge allowed, unaligned start")]
    public void MapHuge_Model() =>
        Fixture.Check(_models[_next++].MapRegion(HugeVa, _modelPaddr, Fixture.OneGiB, Fixture.ModelRw, true), "map");

    [Benchmark, BenchmarkCategory("Map 1 GiB, huge allowed, aligned")]
    public void MapHugeAligned_Cursor() =>
        Fixture.Check(_tables[_next++].MapRegion(new VirtAddr(Fixture.RegionVa), new PhysAddr(Fixture.RegionPa), Fixture.OneGiB, Fixture.Flags, true, false), "map");

    [Benchmark, BenchmarkCategory("Map 1 GiB, huge allowed, aligned")]
    public void MapHugeAligned_Walk() =>
        PerPageWalk<TMeta, TPte>.MapRegion(_arena, _tables[_next++].RootPaddr, Fixture.RegionVa, Fixture.RegionPa, Fixture.OneGiB, Fixture.Flags, true);
}
