using BenchmarkDotNet.Attributes;
using PageTableModel;

namespace PageTableMultiarch.Benchmarks;

/// <summary>
/// <c>MapRegion</c> of 1 GiB with huge pages allowed, starting 4 KiB past a 1 GiB boundary (virtual and physical):
/// 511 4K pages, 511 2M pages and one 4K page, about 5 microseconds of work. Too short for one call per iteration,
/// so each iteration maps into <see cref="Tables"/> fresh empty tables (or models) made by the untimed iteration
/// setup, one per invocation. Time per call.
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
    private int _next;

    [GlobalSetup]
    public void GlobalSetup() => _arena = Fixture.Arena(Tables * 8);

    [GlobalCleanup]
    public void GlobalCleanup() => _arena.Dispose();

    [IterationSetup(Targets = [nameof(MapHuge_Cursor), nameof(MapHuge_Walk)])]
    public void EmptyTables()
    {
        for (int i = 0; i < Tables; i++) _tables[i] = Fixture.NewTable<TMeta, TPte>(_arena);
        _next = 0;
    }

    [IterationCleanup(Targets = [nameof(MapHuge_Cursor), nameof(MapHuge_Walk)])]
    public void DisposeTables()
    {
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
    public void MapHuge_Walk()
    {
        var table = _tables[_next++];
        ulong done = 0;
        while (done < Fixture.OneGiB)
        {
            ulong va = HugeVa + done, pa = HugePa + done, rest = Fixture.OneGiB - done;
            PageSize size = ((va | pa) & 0x3FFF_FFFF) == 0 && rest >= 0x4000_0000 ? PageSize.Size1G
                : ((va | pa) & 0x1F_FFFF) == 0 && rest >= 0x20_0000 ? PageSize.Size2M
                : PageSize.Size4K;
            Fixture.Check(table.Map(new VirtAddr(va), new PhysAddr(pa), size, Fixture.Flags), "map");
            done += (ulong)size;
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Map 1 GiB, huge allowed, unaligned start")]
    public void MapHuge_Model() =>
        Fixture.Check(_models[_next++].MapRegion(HugeVa, v => HugePa + (v - HugeVa), Fixture.OneGiB, Fixture.ModelRw, true), "map");
}
