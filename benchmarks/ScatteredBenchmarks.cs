using BenchmarkDotNet.Attributes;
using PageTableModel;

namespace PageTableMultiarch.Benchmarks;

/// <summary>
/// 10,000 single 4K maps at random addresses across the lower half of the address space (almost every one needs new
/// intermediate tables), then dispose; time per map, dispose included.
/// </summary>
[GenericTypeArguments(typeof(X64PagingMetaData), typeof(X64Pte))]
[GenericTypeArguments(typeof(A64PagingMetaData), typeof(A64Pte))]
[GenericTypeArguments(typeof(Sv39PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(Sv48PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(La64PagingMetaData), typeof(La64Pte))]
[BenchmarkCategory("Scattered")]
public class ScatteredBenchmarks<TMeta, TPte>
    where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
{
    private const int Count = 10_000;

    private FrameArena _arena = null!;
    private ulong[] _pages = null!;

    [GlobalSetup]
    public void Setup()
    {
        _arena = Fixture.Arena(TMeta.Levels * Count + 1);
        _pages = Fixture.ScatteredPages(Count, TMeta.VaMaxBits, seed: 7);
    }

    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    [Benchmark(OperationsPerInvoke = Count)]
    public void Scattered_Impl()
    {
        var table = Fixture.NewTable<TMeta, TPte>(_arena);
        ulong pa = Fixture.RegionPa;
        foreach (ulong va in _pages)
        {
            Fixture.Check(table.Map(new VirtAddr(va), new PhysAddr(pa), PageSize.Size4K, Fixture.Flags), "map");
            pa += Fixture.Page;
        }
        table.Dispose();
        if (_arena.InUse != 0) throw new InvalidOperationException($"{_arena.InUse} frames leaked");
    }

    [Benchmark(OperationsPerInvoke = Count, Baseline = true)]
    public int Scattered_Model()
    {
        var model = new ReferenceModel(Fixture.ModelArch<TMeta>());
        ulong pa = Fixture.RegionPa;
        foreach (ulong va in _pages)
        {
            Fixture.Check(model.Map(va, pa, Fixture.Page, Fixture.ModelRw), "map");
            pa += Fixture.Page;
        }
        return model.Mappings.Count;
    }
}
