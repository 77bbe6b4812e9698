using BenchmarkDotNet.Attributes;
using PageTableModel;

namespace PageTableMultiarch.Benchmarks;

/// <summary>
/// Region operations over 1 GiB, for one table type. Each iteration runs one operation on a table prepared by the
/// iteration setup (not timed), so every map starts from an empty table and has to allocate and zero its 512 leaf
/// tables, as a real kernel mapping 1 GiB would. Three variants per operation:
/// <list type="bullet">
/// <item><c>Cursor</c>: Impl's region operation (descends once, stays in a leaf table while the region does);
/// <c>CursorCallback</c> asks a <c>Func</c> for each page's frame, <c>CursorSource</c> a struct <see cref="IPaddrSource"/>;</item>
/// <item><c>Walk</c>: the original crate's algorithm as directly as it can be written here (<see cref="PerPageWalk{TMeta, TPte}"/>):
/// one walk from the root per page, tables created on the way, one entry write — the same table, built the way the
/// original builds it;</item>
/// <item><c>Model</c>: the dictionary reference model, the baseline.</item>
/// </list>
/// Times are per 4 KiB page (<c>OperationsPerInvoke</c>). The huge-page map is in <see cref="HugeRegionBenchmarks{TMeta, TPte}"/>.
/// </summary>
[GenericTypeArguments(typeof(X64PagingMetaData), typeof(X64Pte))]
[GenericTypeArguments(typeof(A64PagingMetaData), typeof(A64Pte))]
[GenericTypeArguments(typeof(Sv39PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(Sv48PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(La64PagingMetaData), typeof(La64Pte))]
[InvocationCount(1)]
[BenchmarkCategory("Region")]
public class RegionBenchmarks<TMeta, TPte>
    where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
{
    private FrameArena _arena = null!;
    private PageTable64<TMeta, TPte, ArenaHandler>? _table;
    private ReferenceModel? _model;
    private readonly Func<VirtAddr, PhysAddr> _implPaddr = v => new PhysAddr(Fixture.RegionPa + (v.Value - Fixture.RegionVa));
    private readonly Func<ulong, ulong> _modelPaddr = v => Fixture.RegionPa + (v - Fixture.RegionVa);

    [GlobalSetup]
    public void GlobalSetup() => _arena = Fixture.Arena(1024);

    /// <summary>For the two benchmarks that call a lambda per page: the lambdas optimized first (see <see cref="Fixture.SettleTiers"/>).</summary>
    [GlobalSetup(Targets = [nameof(Map4K_CursorCallback), nameof(Map4K_Model)])]
    public void GlobalSetupWithLambdas()
    {
        GlobalSetup();
        Fixture.SettleTiers(() =>
        {
            _implPaddr(new VirtAddr(Fixture.RegionVa));
            _modelPaddr(Fixture.RegionVa);
        });
    }

    [GlobalCleanup]
    public void GlobalCleanup() => _arena.Dispose();

    // ---- iteration setups (not timed) ----

    [IterationSetup(Targets = [nameof(Map4K_Cursor), nameof(Map4K_CursorCallback), nameof(Map4K_CursorSource), nameof(Map4K_Walk)])]
    public void EmptyTable() => _table = Fixture.NewTable<TMeta, TPte>(_arena);

    [IterationSetup(Targets = [nameof(Unmap4K_Cursor), nameof(Unmap4K_Walk), nameof(Protect4K_Cursor), nameof(Protect4K_Walk)])]
    public void MappedTable()
    {
        _table = Fixture.NewTable<TMeta, TPte>(_arena);
        Fixture.Check(_table.MapRegion(new VirtAddr(Fixture.RegionVa), new PhysAddr(Fixture.RegionPa), Fixture.OneGiB, Fixture.Flags, false, false), "setup map");
    }

    // ---- iteration cleanups (not timed): the outcome is checked, then the table goes ----

    [IterationCleanup(Targets = [nameof(Map4K_Cursor), nameof(Map4K_CursorCallback), nameof(Map4K_CursorSource), nameof(Map4K_Walk)])]
    public void CheckMappedAndDispose() => CheckAndDispose(Fixture.Flags);

    [IterationCleanup(Targets = [nameof(Protect4K_Cursor), nameof(Protect4K_Walk)])]
    public void CheckProtectedAndDispose() => CheckAndDispose(Fixture.OtherFlags);

    [IterationCleanup(Targets = [nameof(Unmap4K_Cursor), nameof(Unmap4K_Walk)])]
    public void CheckUnmappedAndDispose()
    {
        foreach (ulong off in new ulong[] { 0, Fixture.OneGiB / 2, Fixture.OneGiB - Fixture.Page })
        {
            var result = _table!.Query(new VirtAddr(Fixture.RegionVa + off));
            if (result.IsOk) throw new InvalidOperationException($"0x{Fixture.RegionVa + off:x} is still mapped");
        }
        DisposeTable();
    }

    private void CheckAndDispose(MappingFlags flags)
    {
        foreach (ulong off in new ulong[] { 0, Fixture.OneGiB / 2, Fixture.OneGiB - Fixture.Page })
        {
            var expected = (new PhysAddr(Fixture.RegionPa + off), flags, PageSize.Size4K);
            var result = _table!.Query(new VirtAddr(Fixture.RegionVa + off));
            if (!result.IsOk || result.Value != expected) throw new InvalidOperationException($"0x{Fixture.RegionVa + off:x}: {result}");
        }
        DisposeTable();
    }

    private void DisposeTable()
    {
        _table!.Dispose();
        if (_arena.InUse != 0) throw new InvalidOperationException($"{_arena.InUse} frames leaked");
    }

    [IterationSetup(Targets = [nameof(Map4K_Model)])]
    public void EmptyModel() => _model = new ReferenceModel(Fixture.ModelArch<TMeta>());

    [IterationSetup(Targets = [nameof(Unmap4K_Model), nameof(Protect4K_Model)])]
    public void MappedModel()
    {
        _model = new ReferenceModel(Fixture.ModelArch<TMeta>());
        Fixture.Check(_model.MapRegion(Fixture.RegionVa, _modelPaddr, Fixture.OneGiB, Fixture.ModelRw, false), "setup map");
    }

    // ---- map 1 GiB of 4K pages ----

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB), BenchmarkCategory("Map 1 GiB, 4K pages")]
    public void Map4K_Cursor() =>
        Fixture.Check(_table!.MapRegion(new VirtAddr(Fixture.RegionVa), new PhysAddr(Fixture.RegionPa), Fixture.OneGiB, Fixture.Flags, false, false), "map");

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB), BenchmarkCategory("Map 1 GiB, 4K pages")]
    public void Map4K_CursorCallback() =>
        Fixture.Check(_table!.MapRegion(new VirtAddr(Fixture.RegionVa), _implPaddr, Fixture.OneGiB, Fixture.Flags, false, false), "map");

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB), BenchmarkCategory("Map 1 GiB, 4K pages")]
    public void Map4K_CursorSource()
    {
        var source = new OffsetSource();
        Fixture.Check(_table!.MapRegion(new VirtAddr(Fixture.RegionVa), ref source, Fixture.OneGiB, Fixture.Flags, false, false), "map");
    }

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB), BenchmarkCategory("Map 1 GiB, 4K pages")]
    public void Map4K_Walk() =>
        PerPageWalk<TMeta, TPte>.MapRegion(_arena, _table!.RootPaddr, Fixture.RegionVa, Fixture.RegionPa, Fixture.OneGiB, Fixture.Flags, false);

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB, Baseline = true), BenchmarkCategory("Map 1 GiB, 4K pages")]
    public void Map4K_Model() =>
        Fixture.Check(_model!.MapRegion(Fixture.RegionVa, _modelPaddr, Fixture.OneGiB, Fixture.ModelRw, false), "map");

    // ---- unmap 1 GiB of 4K pages ----

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB), BenchmarkCategory("Unmap 1 GiB, 4K pages")]
    public void Unmap4K_Cursor() => Fixture.Check(_table!.UnmapRegion(new VirtAddr(Fixture.RegionVa), Fixture.OneGiB, false), "unmap");

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB), BenchmarkCategory("Unmap 1 GiB, 4K pages")]
    public void Unmap4K_Walk() => PerPageWalk<TMeta, TPte>.UnmapRegion(_arena, _table!.RootPaddr, Fixture.RegionVa, Fixture.OneGiB);

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB, Baseline = true), BenchmarkCategory("Unmap 1 GiB, 4K pages")]
    public void Unmap4K_Model() => Fixture.Check(_model!.UnmapRegion(Fixture.RegionVa, Fixture.OneGiB), "unmap");

    // ---- protect 1 GiB of 4K pages ----

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB), BenchmarkCategory("Protect 1 GiB, 4K pages")]
    public void Protect4K_Cursor() =>
        Fixture.Check(_table!.ProtectRegion(new VirtAddr(Fixture.RegionVa), Fixture.OneGiB, Fixture.OtherFlags, false), "protect");

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB), BenchmarkCategory("Protect 1 GiB, 4K pages")]
    public void Protect4K_Walk() =>
        PerPageWalk<TMeta, TPte>.ProtectRegion(_arena, _table!.RootPaddr, Fixture.RegionVa, Fixture.OneGiB, Fixture.OtherFlags);

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB, Baseline = true), BenchmarkCategory("Protect 1 GiB, 4K pages")]
    public void Protect4K_Model() => Fixture.Check(_model!.ProtectRegion(Fixture.RegionVa, Fixture.OneGiB, Fixture.ModelRx), "protect");
}

/// <summary>The frame of each page as a struct source: the same mapping as the contiguous overload, one call per page.</summary>
public readonly struct OffsetSource : IPaddrSource
{
    public PhysAddr GetPaddr(VirtAddr vaddr) => new(Fixture.RegionPa + (vaddr.Value - Fixture.RegionVa));
}
