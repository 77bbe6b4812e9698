using BenchmarkDotNet.Attributes;
using PageTableModel;

namespace PageTableMultiarch.Benchmarks;

/// <summary>Query of 1 Mi random addresses inside a warm 1 GiB region of 4K pages; time per address.</summary>
[GenericTypeArguments(typeof(X64PagingMetaData), typeof(X64Pte))]
[GenericTypeArguments(typeof(A64PagingMetaData), typeof(A64Pte))]
[GenericTypeArguments(typeof(Sv39PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(Sv48PagingMetaData), typeof(RiscVPte))]
[GenericTypeArguments(typeof(La64PagingMetaData), typeof(La64Pte))]
[BenchmarkCategory("Query")]
public class QueryBenchmarks<TMeta, TPte>
    where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
{
    private const int Count = 1 << 20;

    private FrameArena _arena = null!;
    private PageTable64<TMeta, TPte, ArenaHandler> _table = null!;
    private ReferenceModel _model = null!;
    private ulong[] _addresses = null!;
    private ulong _expectedSum;

    [GlobalSetup]
    public void Setup()
    {
        _arena = Fixture.Arena(1024);
        _table = Fixture.NewTable<TMeta, TPte>(_arena);
        Fixture.Check(_table.MapRegion(new VirtAddr(Fixture.RegionVa), new PhysAddr(Fixture.RegionPa), Fixture.OneGiB, Fixture.Flags, false, false), "setup map");
        _model = new ReferenceModel(Fixture.ModelArch<TMeta>());
        Fixture.Check(_model.MapRegion(Fixture.RegionVa, v => Fixture.RegionPa + (v - Fixture.RegionVa), Fixture.OneGiB, Fixture.ModelRw, false), "setup map");
        var rng = new Random(42);
        _addresses = new ulong[Count];
        _expectedSum = 0;
        for (int i = 0; i < Count; i++)
        {
            ulong offset = (ulong)rng.NextInt64(0, (long)Fixture.OneGiB);
            _addresses[i] = Fixture.RegionVa + offset;
            _expectedSum += Fixture.RegionPa + offset; // Query translates the byte, not just its page
        }
        // The loops optimized first (see Fixture.SettleTiers), on the first 1,024 addresses. Without it the measured
        // loop runs as on-stack-replaced code: what a program gets from a loop in a method it calls rarely, not from
        // one it calls often.
        ulong[] few = _addresses[..1024];
        Fixture.SettleTiers(() =>
        {
            SumImpl(few);
            SumModel(few);
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _table.Dispose();
        _arena.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public ulong Query_Impl() => Verified(SumImpl(_addresses));

    [Benchmark(OperationsPerInvoke = Count, Baseline = true)]
    public ulong Query_Model() => Verified(SumModel(_addresses));

    /// <summary>The physical addresses of <paramref name="addresses"/> added up; throws on a refused query.</summary>
    private ulong SumImpl(ulong[] addresses)
    {
        ulong sum = 0;
        foreach (ulong va in addresses)
        {
            var result = _table.Query(new VirtAddr(va));
            if (!result.TryGetValue(out var hit)) Failed(va, result.ToString());
            sum += hit.Paddr.Value;
        }
        return sum;
    }

    private ulong SumModel(ulong[] addresses)
    {
        ulong sum = 0;
        foreach (ulong va in addresses)
        {
            var result = _model.Query(va);
            if (!result.IsOk) throw new InvalidOperationException($"model query 0x{va:x}: {result}");
            sum += result.Value.Pa;
        }
        return sum;
    }

    /// <summary>Out of the loop, so the loop's code stays what a caller's loop would be.</summary>
    private static void Failed(ulong va, string result) => throw new InvalidOperationException($"query 0x{va:x}: {result}");

    private ulong Verified(ulong sum) =>
        sum == _expectedSum ? sum : throw new InvalidOperationException($"query sum 0x{sum:x}, expected 0x{_expectedSum:x}");
}
