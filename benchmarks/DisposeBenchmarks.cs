using BenchmarkDotNet.Attributes;

namespace PageTableMultiarch.Benchmarks;

/// <summary>
/// <c>Dispose</c> of a table that maps 1 GiB of 4K pages (512 last-level tables and the tables above them: 515 frames on
/// a 4-level table, 514 on Sv39), time per table. Each iteration disposes the table that the untimed iteration setup
/// has just mapped (as the region benchmarks time an operation on the table their setup has just made; with four
/// tables mapped one after the other before the timed calls, the first ones' upper tables are colder:
/// BENCHMARKS.md gives both figures). <c>Impl</c> frees through <see cref="ArenaHandler"/> (the arena's batch free);
/// <c>PerFrame</c> through a handler without a batch free of its own, so every frame goes through
/// <see cref="FrameArena.FreeFrame"/> (the default of <see cref="IPagingHandler.DeallocFrames"/>), as before.
/// </summary>
[GenericTypeArguments(typeof(X64PagingMetaData), typeof(X64Pte))]
[GenericTypeArguments(typeof(A64PagingMetaData), typeof(A64Pte))]
[GenericTypeArguments(typeof(Sv39PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(Sv48PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(La64PagingMetaData), typeof(La64Pte))]
[InvocationCount(Tables, 1)]
[BenchmarkCategory("Region")]
public class DisposeBenchmarks<TMeta, TPte>
    where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
{
    private const int Tables = 1;

    private FrameArena _arena = null!;
    private readonly PageTable64<TMeta, TPte, ArenaHandler>[] _tables = new PageTable64<TMeta, TPte, ArenaHandler>[Tables];
    private readonly PageTable64<TMeta, TPte, PerFrameHandler>[] _perFrame = new PageTable64<TMeta, TPte, PerFrameHandler>[Tables];
    private int _next;

    [GlobalSetup]
    public void GlobalSetup() => _arena = Fixture.Arena(Tables * 520);

    [GlobalCleanup]
    public void GlobalCleanup() => _arena.Dispose();

    [IterationSetup(Target = nameof(Dispose_Impl))]
    public void MappedTables()
    {
        for (int i = 0; i < Tables; i++)
        {
            _tables[i] = Fixture.NewTable<TMeta, TPte>(_arena);
            Fixture.Check(_tables[i].MapRegion(new VirtAddr(Fixture.RegionVa), new PhysAddr(Fixture.RegionPa), Fixture.OneGiB, Fixture.Flags, false, false), "setup map");
        }
        _next = 0;
    }

    [IterationSetup(Target = nameof(Dispose_PerFrame))]
    public void MappedPerFrameTables()
    {
        for (int i = 0; i < Tables; i++)
        {
            _perFrame[i] = PageTable64<TMeta, TPte, PerFrameHandler>.TryCreate(new PerFrameHandler(_arena)).Value;
            Fixture.Check(_perFrame[i].MapRegion(new VirtAddr(Fixture.RegionVa), new PhysAddr(Fixture.RegionPa), Fixture.OneGiB, Fixture.Flags, false, false), "setup map");
        }
        _next = 0;
    }

    /// <summary>What Dispose left: nothing. (BenchmarkDotNet's first iterations invoke fewer times than <see cref="Tables"/>:
    /// the tables not disposed by the benchmark are disposed here first.)</summary>
    [IterationCleanup]
    public void CheckNothingLeft()
    {
        long expected = (long)(Tables - _next) * (512 + TMeta.Levels - 1);
        if (_arena.InUse != expected) throw new InvalidOperationException($"{_arena.InUse} frames in use, {expected} expected");
        foreach (var table in _tables) table?.Dispose();
        foreach (var table in _perFrame) table?.Dispose();
        if (_arena.InUse != 0) throw new InvalidOperationException($"{_arena.InUse} frames still in use after Dispose");
    }

    [Benchmark, BenchmarkCategory("Dispose 1 GiB of 4K pages")]
    public void Dispose_Impl() => _tables[_next++].Dispose();

    [Benchmark, BenchmarkCategory("Dispose 1 GiB of 4K pages")]
    public void Dispose_PerFrame() => _perFrame[_next++].Dispose();
}

/// <summary>An arena handler without a batch free: <see cref="IPagingHandler.DeallocFrames"/> is the default, one
/// <see cref="FrameArena.FreeFrame"/> per frame.</summary>
public readonly unsafe struct PerFrameHandler(FrameArena arena) : IPagingHandler
{
    public bool TryAllocFrame(out PhysAddr paddr) => arena.TryAllocFrame(out paddr);

    public void DeallocFrame(PhysAddr paddr) => arena.FreeFrame(paddr);

    public byte* PhysToHost(PhysAddr paddr) => arena.FramePointer(paddr);

    public bool IsMemoryReleased => arena.IsDisposed;
}
