using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace PageTableMultiarch.Properties.Safety;

/// <summary>
/// One <see cref="FrameArena"/> shared by tables on several threads, as a kernel's frame allocator is shared by the
/// address spaces of several cores. Each thread creates tables, maps scattered pages (each map allocates intermediate
/// tables), checks every translation against its own dictionary, unmaps, and disposes, round after round, all at once.
/// If two tables ever got the same frame, one would overwrite the other's entries and a translation would be wrong;
/// a lost or doubly freed frame shows in the arena's counts (or as an exception) at the end.
/// </summary>
public sealed class ConcurrentArenaProperties
{
    private const int Threads = 4;

    [Fact]
    public void TablesOnManyThreadsShareOneArenaWithoutWrongResultsLeaksOrDoubleFrees()
    {
        var property = Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), Gen.Choose(150, 400).ToArbitrary(), (seed, rounds) =>
        {
            using var arena = new FrameArena(new PhysAddr(0x4000_0000), 4096);
            var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
            using var start = new Barrier(Threads);
            var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                try { RunRounds(arena, seed + t, rounds, t, failures); }
                catch (Exception e) { failures.Enqueue($"thread {t}: {e.GetType().Name}: {e.Message}"); }
            })).ToList();
            threads.ForEach(th => th.Start());
            threads.ForEach(th => th.Join());

            Assert.Empty(failures);
            Assert.Equal(0, arena.InUse);
            Assert.Equal(arena.TotalAllocated, arena.TotalFreed);
            Assert.True(arena.TotalAllocated > Threads * rounds, $"only {arena.TotalAllocated} allocations");
            for (int i = 0; i < arena.FrameCount; i++) Assert.False(arena.IsInUse(arena.BasePaddr + (ulong)i * 0x1000));
        });
        Check.One("shared arena", PropertySettings.Config.WithMaxTest(Math.Min(PropertySettings.MaxTest, 8)), property);
    }

    /// <summary>One thread's rounds: its tables of the five kinds in turn, each checked against a dictionary.</summary>
    private static void RunRounds(FrameArena arena, int seed, int rounds, int thread, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        var random = new Random(seed);
        for (int round = 0; round < rounds; round++)
        {
            switch (round % 5)
            {
                case 0: Round<X64PagingMetaData, X64Pte>(arena, random, thread, failures); break;
                case 1: Round<A64PagingMetaData, A64Pte>(arena, random, thread, failures); break;
                case 2: Round<Sv39PagingMetaData, RiscVPte>(arena, random, thread, failures); break;
                case 3: Round<Sv48PagingMetaData, RiscVPte>(arena, random, thread, failures); break;
                default: Round<La64PagingMetaData, La64Pte>(arena, random, thread, failures); break;
            }
        }
    }

    private static void Round<TMeta, TPte>(FrameArena arena, Random random, int thread, System.Collections.Concurrent.ConcurrentQueue<string> failures)
        where TMeta : struct, IPagingMetaData
        where TPte : unmanaged, IGenericPte<TPte>
    {
        var created = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(arena));
        if (!created.TryGetValue(out var table))
        {
            failures.Enqueue($"thread {thread}: no root: {created}");
            return;
        }
        using (table)
        {
            var expected = new Dictionary<ulong, ulong>();
            int pages = random.Next(1, 12);
            for (int i = 0; i < pages; i++)
            {
                // Scattered in the low half: a new 2M region needs a new last-level table, a new 1G region one more.
                ulong va = (ulong)random.Next(0, 1 << 20) << 21 | (ulong)random.Next(0, 512) << 12;
                if (va >= 1UL << (TMeta.VaMaxBits - 1) || expected.ContainsKey(va)) continue;
                ulong pa = ((ulong)thread << 32) | ((ulong)random.Next(0, 1 << 20) << 12);
                var mapped = table.Map(new VirtAddr(va), new PhysAddr(pa), PageSize.Size4K, MappingFlags.Read);
                if (mapped.IsErr)
                {
                    failures.Enqueue($"thread {thread}: map 0x{va:x}: {mapped}");
                    return;
                }
                expected[va] = pa;
            }
            foreach (var (va, pa) in expected)
            {
                var got = table.Query(new VirtAddr(va + 0x123));
                if (!got.IsOk || got.Value.Paddr.Value != pa + 0x123)
                    failures.Enqueue($"thread {thread}: 0x{va:x} gives {got}, expected 0x{pa + 0x123:x}");
            }
            foreach (var va in expected.Keys.Where(_ => random.Next(2) == 0).ToList())
            {
                var unmapped = table.Unmap(new VirtAddr(va));
                if (!unmapped.IsOk || unmapped.Value.Paddr.Value != expected[va])
                    failures.Enqueue($"thread {thread}: unmap 0x{va:x} gives {unmapped}");
            }
        }
    }
}
