using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>
/// A table gives back whole subtrees through <see cref="IPagingHandler.DeallocFrames"/>: the arena's batch free for
/// <see cref="ArenaHandler"/>, and for a handler without its own batch free the default, one
/// <see cref="IPagingHandler.DeallocFrame"/> per frame — with no boxing of the struct handler either way.
/// </summary>
public sealed class BatchFreeTests
{
    private const ulong Va = 0x4000_0000;

    /// <summary>Maps 8 MiB of 4K pages (four last-level tables) and 2 MiB more in the upper half: 9 table frames on X64.</summary>
    private static void Fill<THandler>(PageTable64<X64PagingMetaData, X64Pte, THandler> table) where THandler : struct, IPagingHandler
    {
        Assert.True(table.MapRegion(new VirtAddr(Va), new PhysAddr(0), 0x80_0000, MappingFlags.Read, false, false).IsOk);
        Assert.True(table.MapRegion(new VirtAddr(0xffff_8000_0000_0000), new PhysAddr(0), 0x20_0000, MappingFlags.Read, false, false).IsOk);
    }

    [Fact]
    public void AHandlerWithoutABatchFreeGetsEachFrameThroughDeallocFrame()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 32);
        var freed = new List<PhysAddr>();
        var table = PageTable64<X64PagingMetaData, X64Pte, RecordingHandler>.TryCreate(new RecordingHandler(arena, freed)).Value;
        Fill(table);
        Assert.Equal(10, arena.InUse);
        var root = table.RootPaddr;
        table.Dispose();
        Assert.Equal(10, freed.Count);
        Assert.Equal(10, freed.Distinct().Count());
        Assert.Equal(root, freed[^1]); // the root last
        Assert.Equal(0, arena.InUse);
    }

    [Fact]
    public void ATableOfMoreLastLevelTablesThanOneBatchHoldsGivesEachFrameBackOnce()
    {
        // 2 GiB of 4K pages: 1,024 last-level tables under two directories, so the batch fills up in the middle of the
        // second directory's tables and is given back there.
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 1100);
        var freed = new List<PhysAddr>();
        var table = PageTable64<X64PagingMetaData, X64Pte, RecordingHandler>.TryCreate(new RecordingHandler(arena, freed)).Value;
        Assert.True(table.MapRegion(new VirtAddr(Va), new PhysAddr(0), 0x8000_0000, MappingFlags.Read, false, false).IsOk);
        Assert.Equal(1 + 1 + 2 + 1024, arena.InUse); // root, one table under it, two directories, the last-level tables
        table.Dispose();
        Assert.Equal(1028, freed.Count);
        Assert.Equal(1028, freed.Distinct().Count());
        Assert.Equal(0, arena.InUse);
    }

    [Fact]
    public void DisposeAllocatesNothingWithEitherKindOfHandler()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 32);
        var freed = new List<PhysAddr>(64);
        // Once each first, so that the measured round runs compiled code.
        long recording = Measure(() => PageTable64<X64PagingMetaData, X64Pte, RecordingHandler>.TryCreate(new RecordingHandler(arena, freed)).Value);
        freed.Clear();
        recording = Measure(() => PageTable64<X64PagingMetaData, X64Pte, RecordingHandler>.TryCreate(new RecordingHandler(arena, freed)).Value);
        long viaArena = Measure(() => X64PageTable.TryCreate(arena).Value);
        viaArena = Measure(() => X64PageTable.TryCreate(arena).Value);
        Assert.Equal(10, freed.Count);
        Assert.Equal(0, recording); // a boxed handler would cost an object per batch
        Assert.Equal(0, viaArena);
        Assert.Equal(0, arena.InUse);

        static long Measure<THandler>(Func<PageTable64<X64PagingMetaData, X64Pte, THandler>> create) where THandler : struct, IPagingHandler
        {
            var table = create();
            Fill(table);
            long before = GC.GetAllocatedBytesForCurrentThread();
            table.Dispose();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }

    [Fact]
    public void TheArenaHandlersBatchFreeGoesFrameByFrameForAnotherHandlerType()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 8);
        Assert.True(arena.TryAllocFrame(out var a));
        Assert.True(arena.TryAllocFrame(out var b));
        Assert.True(arena.TryAllocFrame(out var c));
        var freed = new List<PhysAddr>();
        var recording = new RecordingHandler(arena, freed);
        Free<ArenaHandler, RecordingHandler>(ref recording, [b, a]);
        Assert.Equal([b, a], freed);
        var direct = new ArenaHandler(arena);
        Free<ArenaHandler, ArenaHandler>(ref direct, [c]);
        Assert.Equal(2, freed.Count); // straight to the arena
        Assert.Equal(0, arena.InUse);
        Assert.Throws<InvalidOperationException>(() => Free<ArenaHandler, ArenaHandler>(ref direct, [c]));
        var none = default(ArenaHandler);
        Assert.Throws<InvalidOperationException>(() => Free<ArenaHandler, ArenaHandler>(ref none, [c]));
    }

    [Fact]
    public void ATableOfMoreThanOneBatchGivesBackEveryFrameOnce()
    {
        // 1 GiB + 8 MiB of 4K pages: 516 last-level tables, two directories, one pointer table and the root (520 frames,
        // more than one batch of 512).
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 1100);
        var table = X64PageTable.TryCreate(arena).Value;
        Assert.True(table.MapRegion(new VirtAddr(Va), new PhysAddr(0), 0x4080_0000, MappingFlags.Read, false, false).IsOk);
        Assert.Equal(520, arena.InUse);
        table.Dispose();
        Assert.Equal(0, arena.InUse);
        Assert.Equal(520, arena.TotalFreed);

        var freed = new List<PhysAddr>();
        var recorded = PageTable64<X64PagingMetaData, X64Pte, RecordingHandler>.TryCreate(new RecordingHandler(arena, freed)).Value;
        Assert.True(recorded.MapRegion(new VirtAddr(Va), new PhysAddr(0), 0x4080_0000, MappingFlags.Read, false, false).IsOk);
        var root = recorded.RootPaddr;
        recorded.Dispose();
        Assert.Equal(520, freed.Distinct().Count());
        Assert.Equal(520, freed.Count);
        Assert.Equal(root, freed[^1]);
        Assert.Equal(0, arena.InUse);
    }

    [Fact]
    public void ReclamationGivesBackItsTablesInOneBatch()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 32);
        var freed = new List<PhysAddr>();
        using var table = PageTable64<X64PagingMetaData, X64Pte, RecordingHandler>.TryCreate(new RecordingHandler(arena, freed)).Value;
        Fill(table);
        Assert.True(table.UnmapRegion(new VirtAddr(Va), 0x80_0000, false).IsOk);
        Assert.Equal(6, freed.Count); // four last-level tables, their directory and its pointer table
        Assert.Equal(4, arena.InUse);
    }

    private static void Free<TImpl, TSelf>(ref TSelf handler, ReadOnlySpan<PhysAddr> frames)
        where TImpl : IPagingHandler where TSelf : struct, IPagingHandler =>
        TImpl.DeallocFrames(ref handler, frames);
}

/// <summary>An arena handler without a batch free of its own, recording every frame given back.</summary>
public readonly unsafe struct RecordingHandler(FrameArena arena, List<PhysAddr> freed) : IPagingHandler
{
    public bool TryAllocFrame(out PhysAddr paddr) => arena.TryAllocFrame(out paddr);

    public void DeallocFrame(PhysAddr paddr)
    {
        freed.Add(paddr);
        arena.FreeFrame(paddr);
    }

    public byte* PhysToHost(PhysAddr paddr) => arena.FramePointer(paddr);

    public bool IsMemoryReleased => arena.IsDisposed;
}
