using System.Runtime.CompilerServices;
using PageTableModel;

namespace PageTableMultiarch.Benchmarks;

/// <summary>Shared sizes, addresses and checked helpers. A benchmark whose operation fails throws, so a broken
/// benchmark cannot report a fast time for doing nothing.</summary>
public static class Fixture
{
    public const ulong Page = 0x1000;
    public const ulong OneGiB = 0x4000_0000;
    public const int PagesPerGiB = (int)(OneGiB / Page); // 262,144

    /// <summary>Where regions start: 1 GiB, canonical and in the lower half for every architecture (Sv39 too).</summary>
    public const ulong RegionVa = 0x4000_0000;

    /// <summary>The physical start of mapped regions: 4 GiB, inside every architecture's physical width.</summary>
    public const ulong RegionPa = 0x1_0000_0000;

    public const MappingFlags Flags = MappingFlags.Read | MappingFlags.Write;
    public const MappingFlags OtherFlags = MappingFlags.Read | MappingFlags.Execute;
    public const ModelFlags ModelRw = ModelFlags.Read | ModelFlags.Write;
    public const ModelFlags ModelRx = ModelFlags.Read | ModelFlags.Execute;

    /// <summary>Whether <see cref="SettleTiers"/> runs (not in the smoke run, which times nothing).</summary>
    public static bool SettleCallerCode { get; set; } = true;

    /// <summary>
    /// Calls <paramref name="callerCode"/> (the benchmark's own code: the lambdas the library calls per page, the query
    /// benchmark's loops) a hundred times every 25 ms until the runtime has compiled nothing new for 200 ms (at least half
    /// a second, at most four), so that tiered compilation has promoted it to optimized code before the first measured
    /// iteration, as it has in any process that has run for a while. Without it, a run of 3 warm-up and 15 measured
    /// iterations of one call each ends before the runtime's tier-up (delayed until 100 ms pass without new unoptimized
    /// code, then 30 counted calls, then a background compile) has happened, and the figure is that of the caller's
    /// unoptimized lambda, or of its loop compiled by on-stack replacement. The library's own region loops are not
    /// affected: they are compiled fully optimized from the start.
    /// </summary>
    public static void SettleTiers(Action callerCode)
    {
        if (!SettleCallerCode) return;
        long last = -1;
        for (int round = 0, quiet = 0; round < 160 && quiet < 8; round++)
        {
            for (int i = 0; i < 100; i++) callerCode();
            Thread.Sleep(25);
            long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            quiet = round >= 20 && compiled == last ? quiet + 1 : 0;
            last = compiled;
        }
    }

    /// <summary>An arena with every page touched up front, so timings do not include the OS's first-touch faults.</summary>
    public static FrameArena Arena(int frames) => new(new PhysAddr(0x8000_0000), frames, prefault: true);

    public static PageTable64<TMeta, TPte, ArenaHandler> NewTable<TMeta, TPte>(FrameArena arena)
        where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
    {
        var created = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(arena));
        if (!created.TryGetValue(out var table)) throw new InvalidOperationException($"No frame for the root: {created}");
        return table;
    }

    /// <summary>The model's description of the architecture behind <typeparamref name="TMeta"/>.</summary>
    public static ArchSpec ModelArch<TMeta>() where TMeta : struct, IPagingMetaData =>
        typeof(TMeta) == typeof(X64PagingMetaData) ? ArchSpec.X64
        : typeof(TMeta) == typeof(A64PagingMetaData) ? ArchSpec.A64
        : typeof(TMeta) == typeof(Sv39PagingMetaData) ? ArchSpec.Sv39
        : typeof(TMeta) == typeof(Sv48PagingMetaData) ? ArchSpec.Sv48
        : typeof(TMeta) == typeof(La64PagingMetaData) ? ArchSpec.La64
        : throw new ArgumentException($"No model architecture for {typeof(TMeta).Name}.");

    // The checks run inside the timed calls: small enough to be inlined there, the message built only on failure.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(PagingResult result, string what)
    {
        if (!result.IsOk) Failed(what, result.ToString());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check<T>(PagingResult<T> result, string what)
    {
        if (!result.IsOk) Failed(what, result.ToString());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check<T>(ModelResult<T> result, string what)
    {
        if (!result.IsOk) Failed(what + " in the model", result.ToString());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Failed(string what, string result) => throw new InvalidOperationException($"{what} failed: {result}");

    /// <summary>Distinct random 4K-aligned virtual addresses in the lower half of a <paramref name="vaBits"/>-bit space.</summary>
    public static ulong[] ScatteredPages(int count, int vaBits, int seed)
    {
        var rng = new Random(seed);
        var seen = new HashSet<ulong>();
        var pages = new ulong[count];
        ulong pageCount = 1UL << (vaBits - 1 - 12);
        for (int i = 0; i < count;)
        {
            ulong va = ((ulong)rng.NextInt64(1, (long)pageCount)) << 12;
            if (seen.Add(va)) pages[i++] = va;
        }
        return pages;
    }
}
