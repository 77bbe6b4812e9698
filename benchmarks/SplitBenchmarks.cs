using BenchmarkDotNet.Attributes;
using PageTableModel;

namespace PageTableMultiarch.Benchmarks;

/// <summary>
/// The cost of splitting one huge page: <c>ProtectRegion</c> of the first piece of a 2M page (the page becomes 512 4K
/// pages: one table taken, zeroed and filled, the link, one piece changed) and of the first 2M of a 1G page (512 2M
/// pages). The untimed iteration setup maps <see cref="Pages"/> huge pages side by side; each invocation splits the next
/// one, so time is per split. Variants: <c>Cursor</c>, the split; <c>ByHand</c>, the same result by hand with single-page
/// operations (unmap the huge page, map its 512 pieces one by one); <c>Model</c>, the dictionary model (the baseline).
/// </summary>
[GenericTypeArguments(typeof(X64PagingMetaData), typeof(X64Pte))]
[GenericTypeArguments(typeof(Sv39PagingMetaData), typeof(RiscVPte))]
[InvocationCount(Pages)]
[BenchmarkCategory("Split")]
public class SplitBenchmarks<TMeta, TPte>
    where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
{
    private const int Pages = 64;
    private const ulong M2 = 0x20_0000;

    private FrameArena _arena = null!;
    private PageTable64<TMeta, TPte, ArenaHandler>? _table;
    private ReferenceModel? _model;
    private int _next;

    [GlobalSetup]
    public void GlobalSetup() => _arena = Fixture.Arena(4 * Pages);

    [GlobalCleanup]
    public void GlobalCleanup() => _arena.Dispose();

    private static ulong Va(int i, ulong size) => Fixture.RegionVa + (ulong)i * size;

    private static ulong Pa(int i, ulong size) => Fixture.RegionPa + (ulong)i * size;

    private void MapTable(ulong size)
    {
        _table = Fixture.NewTable<TMeta, TPte>(_arena);
        for (int i = 0; i < Pages; i++)
            Fixture.Check(_table.Map(new VirtAddr(Va(i, size)), new PhysAddr(Pa(i, size)), (PageSize)size, Fixture.Flags), "setup map");
        _next = 0;
    }

    private void MapModel(ulong size)
    {
        _model = new ReferenceModel(Fixture.ModelArch<TMeta>());
        for (int i = 0; i < Pages; i++)
            Fixture.Check(_model.Map(Va(i, size), Pa(i, size), size, Fixture.ModelRw), "setup map");
        _next = 0;
    }

    [IterationSetup(Targets = [nameof(Split2M_Cursor), nameof(Split2M_ByHand)])]
    public void Table2M() => MapTable(M2);

    [IterationSetup(Targets = [nameof(Split1G_Cursor), nameof(Split1G_ByHand)])]
    public void Table1G() => MapTable(Fixture.OneGiB);

    [IterationSetup(Targets = [nameof(Split2M_Model)])]
    public void Model2M() => MapModel(M2);

    [IterationSetup(Targets = [nameof(Split1G_Model)])]
    public void Model1G() => MapModel(Fixture.OneGiB);

    [IterationCleanup(Targets = [nameof(Split2M_Cursor), nameof(Split2M_ByHand), nameof(Split1G_Cursor), nameof(Split1G_ByHand)])]
    public void DisposeTable()
    {
        _table!.Dispose();
        if (_arena.InUse != 0) throw new InvalidOperationException($"{_arena.InUse} frames leaked");
    }

    /// <summary>The split by hand: the huge page goes, then its 512 pieces are mapped one by one, the first with the new flags.</summary>
    private void ByHand(ulong size)
    {
        var table = _table!;
        int i = _next++;
        ulong va = Va(i, size), pa = Pa(i, size), piece = size / 512;
        Fixture.Check(table.Unmap(new VirtAddr(va)), "unmap");
        for (ulong off = 0; off < size; off += piece)
        {
            Fixture.Check(table.Map(new VirtAddr(va + off), new PhysAddr(pa + off), (PageSize)piece,
                off == 0 ? Fixture.OtherFlags : Fixture.Flags), "map");
        }
    }

    // ---- a 2M page into 512 4K pages ----

    [Benchmark, BenchmarkCategory("Split 2M into 512 x 4K")]
    public void Split2M_Cursor() =>
        Fixture.Check(_table!.ProtectRegion(new VirtAddr(Va(_next++, M2)), Fixture.Page, Fixture.OtherFlags, false), "split");

    [Benchmark, BenchmarkCategory("Split 2M into 512 x 4K")]
    public void Split2M_ByHand() => ByHand(M2);

    [Benchmark(Baseline = true), BenchmarkCategory("Split 2M into 512 x 4K")]
    public void Split2M_Model() => Fixture.Check(_model!.ProtectRegion(Va(_next++, M2), Fixture.Page, Fixture.ModelRx), "split");

    // ---- a 1G page into 512 2M pages ----

    [Benchmark, BenchmarkCategory("Split 1G into 512 x 2M")]
    public void Split1G_Cursor() =>
        Fixture.Check(_table!.ProtectRegion(new VirtAddr(Va(_next++, Fixture.OneGiB)), M2, Fixture.OtherFlags, false), "split");

    [Benchmark, BenchmarkCategory("Split 1G into 512 x 2M")]
    public void Split1G_ByHand() => ByHand(Fixture.OneGiB);

    [Benchmark(Baseline = true), BenchmarkCategory("Split 1G into 512 x 2M")]
    public void Split1G_Model() => Fixture.Check(_model!.ProtectRegion(Va(_next++, Fixture.OneGiB), M2, Fixture.ModelRx), "split");
}
