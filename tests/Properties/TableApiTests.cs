using System.Runtime.CompilerServices;
using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>Test-only x86_64 metadata that records TLB flushes (the host metadata's hook does nothing).</summary>
public readonly struct CountingX64Meta : IPagingMetaData
{
    [ThreadStatic] private static List<ulong?>? s_flushes;

    public static List<ulong?> Flushes => s_flushes ??= [];

    public static int Levels => X64PagingMetaData.Levels;

    public static int PaMaxBits => X64PagingMetaData.PaMaxBits;

    public static int VaMaxBits => X64PagingMetaData.VaMaxBits;

    public static bool VaddrIsValid(ulong vaddr) => X64PagingMetaData.VaddrIsValid(vaddr);

    public static void FlushTlb(VirtAddr? vaddr) => Flushes.Add(vaddr?.Value);

    [ThreadStatic] private static List<(nint Entry, ulong Old, ulong New)>? s_writes;

    /// <summary>Every entry write, in order (the host address of the entry, the old and the new bits).</summary>
    public static List<(nint Entry, ulong Old, ulong New)> Writes => s_writes ??= [];

    public static void OnEntryWrite(nint entryHostAddress, ulong oldBits, ulong newBits) => Writes.Add((entryHostAddress, oldBits, newBits));
}

/// <summary>Lifetime, factories, walk, copy-from and TLB flush behaviour of the tables.</summary>
public sealed class TableApiTests
{
    private static readonly MappingFlags R = MappingFlags.Read;

    [Fact]
    public void EveryReadyTypeAllocatesItsRootOrReportsNoMemory()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 5);
        using var x = X64PageTable.TryCreate(arena).Value;
        using var a = A64PageTable.TryCreate(arena).Value;
        using var s39 = Sv39PageTable.TryCreate(arena).Value;
        using var s48 = Sv48PageTable.TryCreate(arena).Value;
        using var la = La64PageTable.TryCreate(arena).Value;
        Assert.Equal(5, arena.InUse);
        Assert.Equal(PagingError.NoMemory, X64PageTable.TryCreate(arena).Error);
        Assert.Equal(PagingError.NoMemory, A64PageTable.TryCreate(arena).Error);
        Assert.Equal(PagingError.NoMemory, Sv39PageTable.TryCreate(arena).Error);
        Assert.Equal(PagingError.NoMemory, Sv48PageTable.TryCreate(arena).Error);
        Assert.Equal(PagingError.NoMemory, La64PageTable.TryCreate(arena).Error);
        Assert.Equal(PagingError.NoMemory, PageTable64<X64PagingMetaData, X64Pte, ArenaHandler>.TryCreate(new ArenaHandler(arena)).Error);
        Assert.Equal(new ulong[] { 0x10_0000, 0x10_1000, 0x10_2000, 0x10_3000, 0x10_4000 },
            new[] { x.RootPaddr, a.RootPaddr, s39.RootPaddr, s48.RootPaddr, la.RootPaddr }.Select(p => p.Value));
        Assert.Same(arena, x.Handler.Arena);
    }

    [Fact]
    public void AHugePageOverAnEmptiedTableBreaksBeforeMakeOnALiveTableAndGivesTheTableBack()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        using var pt = PageTable64<CountingX64Meta, X64Pte, ArenaHandler>.TryCreate(new ArenaHandler(arena)).Value;
        foreach (bool live in new[] { true, false })
        {
            ulong slot2M = live ? 0x20_0000UL : 0x60_0000UL;
            pt.Live = live;
            Assert.True(pt.Map(new VirtAddr(slot2M + 0x1000), new PhysAddr(0x5000), PageSize.Size4K, R).IsOk);
            // The page's entry cleared behind the table's back: the 2M slot now points to a table that maps nothing.
            arena.WriteUInt64(TableMemory.EntryAddress<X64Pte>(arena, pt.RootPaddr, slot2M + 0x1000, 4, 3), 0);
            PhysAddr target = TableMemory.EntryAddress<X64Pte>(arena, pt.RootPaddr, slot2M, 4, 2);
            ulong tableEntry = arena.ReadUInt64(target);
            int inUse = arena.InUse;
            CountingX64Meta.Flushes.Clear();
            CountingX64Meta.Writes.Clear();

            Assert.True(pt.Map(new VirtAddr(slot2M), new PhysAddr(0x40_0000), PageSize.Size2M, R).IsOk);

            Assert.Equal((new PhysAddr(0x40_1234), R, PageSize.Size2M), pt.Query(new VirtAddr(slot2M + 0x1234)).Value);
            Assert.Equal(inUse - 1, arena.InUse); // the emptied last-level table is given back
            ulong block = arena.ReadUInt64(target);
            // Live: the table pointer is cleared, the whole TLB flushed (a walk may have cached the table), then the block
            // written. Not live: the block is written over the pointer, nothing flushed.
            Assert.Equal(live ? new ulong?[] { null } : [], CountingX64Meta.Flushes);
            Assert.Equal(live ? [(tableEntry, 0UL), (0UL, block)] : new[] { (tableEntry, block) },
                CountingX64Meta.Writes.Select(w => (w.Old, w.New)).ToArray());
        }
    }

    [Fact]
    public void QueryThroughAnotherHandlerTurnsEveryTableAddressIntoAPointerThroughThatHandler()
    {
        // Only ArenaHandler tables take the query's shortcut through the arena's base and limit.
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 8);
        var lookups = new StrongBox<long>();
        using var pt = PageTable64<X64PagingMetaData, X64Pte, CountingHandler>.TryCreate(new CountingHandler(arena, lookups)).Value;
        Assert.True(pt.Map(new VirtAddr(0x1000), new PhysAddr(0x5000), PageSize.Size4K, R).IsOk);
        lookups.Value = 0;
        Assert.Equal(new PhysAddr(0x5123), pt.Query(new VirtAddr(0x1123)).Value.Paddr);
        Assert.Equal(4, lookups.Value); // the root and the three tables below it
    }

    [Fact]
    public void ARootLevelHugePageOverAnEmptiedTableOfASlotNeverLent()
    {
        // Sv39's 1G pages are root entries: the share record of the slot is looked at only when it exists.
        using var arena = new FrameArena(new PhysAddr(0x8000_0000), 16);
        using var pt = Sv39PageTable.TryCreate(arena).Value;
        Assert.True(pt.Map(new VirtAddr(0x4000_1000), new PhysAddr(0x5000), PageSize.Size4K, R).IsOk);
        arena.WriteUInt64(TableMemory.EntryAddress<RiscVPte>(arena, pt.RootPaddr, 0x4000_1000, 3, 2), 0);
        int inUse = arena.InUse;
        Assert.True(pt.Map(new VirtAddr(0x4000_0000), new PhysAddr(0xC000_0000), PageSize.Size1G, R).IsOk);
        Assert.Equal((new PhysAddr(0xC000_1000), R, PageSize.Size1G), pt.Query(new VirtAddr(0x4000_1000)).Value);
        Assert.Equal(inUse - 2, arena.InUse);
        Assert.False(pt.IsLentSlot(1));
    }

    [Fact]
    public void TheRootIsZeroedEvenWhenTheFrameWasDirty()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 1);
        Assert.True(arena.TryAllocFrame(out var frame));
        arena.WriteUInt64(frame + 0x100, 0xdead_beef);
        arena.FreeFrame(frame);
        using var pt = Sv39PageTable.TryCreate(arena).Value;
        Assert.Equal(0UL, arena.ReadUInt64(frame + 0x100));
        Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(0x2000_0000)).Error);
    }

    [Fact]
    public void IntermediateTablesAreZeroedEvenWhenTheFrameWasDirty()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 8);
        for (int i = 0; i < 8; i++) Assert.True(arena.TryAllocFrame(out _));
        for (ulong f = 0; f < 8; f++)
        {
            var frame = new PhysAddr(0x10_0000 + f * 0x1000);
            for (ulong off = 0; off < 0x1000; off += 8) arena.WriteUInt64(frame + off, 0x0000_0000_0030_0003); // present-looking junk
            arena.FreeFrame(frame);
        }
        using var pt = X64PageTable.TryCreate(arena).Value;
        Assert.True(pt.Map(new VirtAddr(0x1000), new PhysAddr(0x5000), PageSize.Size4K, R).IsOk);
        Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(0x2000)).Error);
        Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(0x20_0000)).Error);
        Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(0x4000_0000)).Error);
        Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(0x80_0000_0000)).Error);
    }

    [Fact]
    public void UseAfterDisposeThrowsAndDisposeIsIdempotent()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 8);
        var pt = X64PageTable.TryCreate(arena).Value;
        Assert.True(pt.Map(new VirtAddr(0x1000), new PhysAddr(0x1000), PageSize.Size4K, R).IsOk);
        Assert.False(pt.IsDisposed);
        pt.Dispose();
        pt.Dispose();
        Assert.True(pt.IsDisposed);
        Assert.Equal(0, arena.InUse);
        var va = new VirtAddr(0x1000);
        Assert.Throws<ObjectDisposedException>(() => pt.RootPaddr);
        Assert.Throws<ObjectDisposedException>(() => pt.Map(va, new PhysAddr(0), PageSize.Size4K, R));
        Assert.Throws<ObjectDisposedException>(() => pt.Unmap(va));
        Assert.Throws<ObjectDisposedException>(() => pt.Query(va));
        Assert.Throws<ObjectDisposedException>(() => pt.Protect(va, R));
        Assert.Throws<ObjectDisposedException>(() => pt.Remap(va, new PhysAddr(0), R));
        Assert.Throws<ObjectDisposedException>(() => pt.MapRegion(va, new PhysAddr(0), 0x1000, R, false, false));
        Assert.Throws<ObjectDisposedException>(() => pt.UnmapRegion(va, 0x1000, false));
        Assert.Throws<ObjectDisposedException>(() => pt.ProtectRegion(va, 0x1000, R, false));
        Assert.Throws<ObjectDisposedException>(() => pt.Walk(1, null, null));
        using var other = X64PageTable.TryCreate(arena).Value;
        Assert.Throws<ObjectDisposedException>(() => pt.CopyFrom(other, va, 0x1000));
        Assert.Throws<ObjectDisposedException>(() => other.CopyFrom(pt, va, 0x1000));
    }

    [Fact]
    public void CallerBugsThrow()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 8);
        using var pt = X64PageTable.TryCreate(arena).Value;
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => pt.Map(new VirtAddr(0), new PhysAddr(0), (PageSize)0x2000, R));
        Assert.Contains("Not one of Size4K, Size2M, Size1G.", bad.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => pt.MapRegion(new VirtAddr(0), (Func<VirtAddr, PhysAddr>)null!, 0x1000, R, false, false));
        Assert.Throws<ArgumentNullException>(() => pt.CopyFrom(null!, new VirtAddr(0), 0x1000));
        Assert.Equal(1, arena.InUse);
    }

    [Fact]
    public void WalkVisitsPresentEntriesInOrderWithALimitPerTable()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        using var pt = X64PageTable.TryCreate(arena).Value;
        foreach (ulong va in new ulong[] { 0x3000, 0x1000, 0x2000, 0xffff_8000_0000_0000 })
            Assert.True(pt.Map(new VirtAddr(va), new PhysAddr(va & 0xffff_ffff), PageSize.Size4K, R).IsOk);

        var pre = new List<(int Level, int Index, ulong Va)>();
        var post = new List<(int Level, int Index, ulong Va)>();
        pt.Walk(int.MaxValue, (l, i, v, _) => pre.Add((l, i, v.Value)), (l, i, v, _) => post.Add((l, i, v.Value)));
        // Root entries 0 and 256, each with one table per level below, then the leaves.
        Assert.Equal(new (int, int, ulong)[]
        {
            (0, 0, 0), (1, 0, 0), (2, 0, 0), (3, 1, 0x1000), (3, 2, 0x2000), (3, 3, 0x3000),
            (0, 256, 0xffff_8000_0000_0000), (1, 0, 0xffff_8000_0000_0000), (2, 0, 0xffff_8000_0000_0000), (3, 0, 0xffff_8000_0000_0000),
        }, pre);
        Assert.Equal(new (int, int, ulong)[]
        {
            (3, 1, 0x1000), (3, 2, 0x2000), (3, 3, 0x3000), (2, 0, 0), (1, 0, 0), (0, 0, 0),
            (3, 0, 0xffff_8000_0000_0000), (2, 0, 0xffff_8000_0000_0000), (1, 0, 0xffff_8000_0000_0000), (0, 256, 0xffff_8000_0000_0000),
        }, post);

        var limited = new List<(int, int)>();
        pt.Walk(2, (l, i, _, _) => limited.Add((l, i)), null);
        Assert.Equal(new (int, int)[] { (0, 0), (1, 0), (2, 0), (3, 1), (3, 2), (0, 256), (1, 0), (2, 0), (3, 0) }, limited);

        int count = 0;
        pt.Walk(0, (_, _, _, _) => count++, null);
        pt.Walk(-1, (_, _, _, _) => count++, null);
        Assert.Equal(0, count);
        pt.Walk(1, null, null); // no callbacks at all is fine
    }

    [Fact]
    public void CopyFromNeedsAnotherTableOnTheSameArena()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        using var otherArena = new FrameArena(new PhysAddr(0x20_0000), 4);
        using var pt = Sv48PageTable.TryCreate(arena).Value;
        using var foreign = Sv48PageTable.TryCreate(otherArena).Value;
        using var source = Sv48PageTable.TryCreate(arena).Value;
        Assert.True(source.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Assert.Equal(PagingError.IncompatibleTable, pt.CopyFrom(pt, new VirtAddr(0), 0x1000).Error);
        Assert.Equal(PagingError.IncompatibleTable, pt.CopyFrom(foreign, new VirtAddr(0), 0x1000).Error);
        Assert.False(pt.IsBorrowedSlot(0));
        Assert.True(pt.CopyFrom(source, new VirtAddr(0), 0).IsOk);
        Assert.False(pt.IsBorrowedSlot(0));
        Assert.True(pt.CopyFrom(source, new VirtAddr(0), 0x1000).IsOk);
        Assert.True(pt.IsBorrowedSlot(0));
        Assert.False(pt.IsBorrowedSlot(1));
        Assert.Equal(new PhysAddr(0x9010), pt.Query(new VirtAddr(0x1010)).Value.Paddr);
        Assert.Equal(PagingError.BorrowedEntry, pt.Map(new VirtAddr(0x5000), new PhysAddr(0), PageSize.Size4K, R).Error);
    }

    [Fact]
    public void FlushesArePerPageUpToTheLimitThenOneWholeFlush()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        using var pt = PageTable64<CountingX64Meta, X64Pte, ArenaHandler>.TryCreate(new ArenaHandler(arena)).Value;
        var flushes = CountingX64Meta.Flushes;
        flushes.Clear();

        var map = pt.Map(new VirtAddr(0x7000), new PhysAddr(0x7000), PageSize.Size4K, R).Value;
        Assert.Equal(new VirtAddr(0x7000), map.Vaddr);
        Assert.Empty(flushes);
        map.Ignore();
        Assert.Empty(flushes);
        map.Flush();
        Assert.Equal(new ulong?[] { 0x7000 }, flushes);
        flushes.Clear();

        Assert.True(pt.MapRegion(new VirtAddr(0x10_0000), new PhysAddr(0x10_0000), 3 * 0x1000, R, false, flushTlbByPage: true).IsOk);
        Assert.Equal(new ulong?[] { 0x10_0000, 0x10_1000, 0x10_2000 }, flushes);
        flushes.Clear();
        Assert.True(pt.ProtectRegion(new VirtAddr(0x10_0000), 3 * 0x1000, R | MappingFlags.Write, flushTlbByPage: false).Value is var all && true);
        Assert.Empty(flushes);
        all.Flush();
        Assert.Equal(new ulong?[] { null }, flushes);
        flushes.Clear();

        // Exactly the limit: per-page flushes only, no whole flush.
        const int limit = PageTable64<CountingX64Meta, X64Pte, ArenaHandler>.FlushByPageLimit;
        Assert.True(pt.MapRegion(new VirtAddr(0x60_0000), new PhysAddr(0), limit * 0x1000UL, R, false, flushTlbByPage: true).IsOk);
        Assert.Equal(limit, flushes.Count);
        Assert.DoesNotContain(null, flushes);
        flushes.Clear();
        Assert.True(pt.UnmapRegion(new VirtAddr(0x60_0000), limit * 0x1000UL, flushTlbByPage: true).IsOk);
        Assert.Equal(limit + 1, flushes.Count); // the pages, then the one whole flush before the emptied table is freed
        Assert.DoesNotContain(null, flushes.Take(limit));
        Assert.Null(flushes[^1]);
        flushes.Clear();

        const int pages = PageTable64<CountingX64Meta, X64Pte, ArenaHandler>.FlushByPageLimit + 10;
        Assert.True(pt.MapRegion(new VirtAddr(0x20_0000), new PhysAddr(0), pages * 0x1000UL, R, false, flushTlbByPage: true).IsOk);
        Assert.Equal(PageTable64<CountingX64Meta, X64Pte, ArenaHandler>.FlushByPageLimit + 1, flushes.Count);
        Assert.Equal(0x20_0000UL, flushes[0]);
        Assert.Null(flushes[^1]);
        flushes.Clear();
        Assert.True(pt.ProtectRegion(new VirtAddr(0x20_0000), pages * 0x1000UL, R | MappingFlags.Write, flushTlbByPage: true).IsOk);
        Assert.Equal(PageTable64<CountingX64Meta, X64Pte, ArenaHandler>.FlushByPageLimit + 1, flushes.Count);
        Assert.Equal(0x20_0000UL, flushes[0]);
        Assert.Null(flushes[^1]);
        flushes.Clear();
        Assert.True(pt.UnmapRegion(new VirtAddr(0x20_0000), pages * 0x1000UL, flushTlbByPage: true).IsOk);
        Assert.Equal(PageTable64<CountingX64Meta, X64Pte, ArenaHandler>.FlushByPageLimit + 2, flushes.Count); // + the table's
        Assert.Null(flushes[^1]);
        Assert.Null(flushes[^2]);
        flushes.Clear();
        Assert.True(pt.UnmapRegion(new VirtAddr(0x10_0000), 0x1000, flushTlbByPage: true).IsOk);
        Assert.Equal(new ulong?[] { 0x10_0000 }, flushes);
        flushes.Clear();

        Assert.True(pt.MapRegion(new VirtAddr(0x30_0000), new PhysAddr(0), 2 * 0x1000, R, false, false).IsOk);
        flushes.Clear();
        Assert.True(pt.ProtectRegion(new VirtAddr(0x30_0000), 2 * 0x1000, R, flushTlbByPage: true).IsOk);
        Assert.Equal(new ulong?[] { 0x30_0000, 0x30_1000 }, flushes);
        flushes.Clear();
        Assert.True(pt.ProtectRegion(new VirtAddr(0x20_0000), 0, R, flushTlbByPage: true).IsOk);
        Assert.Empty(flushes);

        // A failed region operation flushes nothing.
        Assert.Equal(PagingError.AlreadyMapped, pt.MapRegion(new VirtAddr(0x10_1000), new PhysAddr(0), 0x1000, R, false, true).Error);
        Assert.Empty(flushes);
    }
}

/// <summary>A handler that counts how often the table turns a physical address into a pointer: one per table visited.</summary>
public readonly unsafe struct CountingHandler(FrameArena arena, StrongBox<long> lookups) : IPagingHandler
{
    public bool TryAllocFrame(out PhysAddr paddr) => arena.TryAllocFrame(out paddr);

    public void DeallocFrame(PhysAddr paddr) => arena.FreeFrame(paddr);

    public byte* PhysToHost(PhysAddr paddr)
    {
        lookups.Value++;
        return arena.FramePointer(paddr);
    }

    public bool IsMemoryReleased => arena.IsDisposed;
}

/// <summary>
/// Region operations descend once and stay in the last-level table while the region continues (the cursor):
/// the number of table lookups grows with the number of tables, not with the number of pages.
/// </summary>
public sealed class CursorTests
{
    private const ulong Pages = 2048; // 8 MiB: four last-level tables

    [Fact]
    public void RegionOperationsVisitEachTableAFewTimesNotEachPage()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        var lookups = new StrongBox<long>();
        using var pt = PageTable64<X64PagingMetaData, X64Pte, CountingHandler>.TryCreate(new CountingHandler(arena, lookups)).Value;
        var va = new VirtAddr(0x4000_0000);

        lookups.Value = 0;
        Assert.True(pt.MapRegion(va, new PhysAddr(0), Pages * 0x1000, MappingFlags.Read, false, false).IsOk);
        long map = lookups.Value;
        lookups.Value = 0;
        Assert.True(pt.MapRegion(new VirtAddr(0x8000_0000), v => new PhysAddr(v.Value - 0x8000_0000), Pages * 0x1000, MappingFlags.Read, false, false).IsOk);
        long mapCallback = lookups.Value;
        lookups.Value = 0;
        Assert.True(pt.ProtectRegion(va, Pages * 0x1000, MappingFlags.Read | MappingFlags.Write, false).IsOk);
        long protect = lookups.Value;
        lookups.Value = 0;
        Assert.True(pt.UnmapRegion(va, Pages * 0x1000, false).IsOk);
        long unmap = lookups.Value;

        // A walk from the root per page would cost 4 lookups a page (8192); the cursor needs a handful per table.
        Assert.InRange(map, 4, 64);
        Assert.InRange(mapCallback, 4, 64);
        Assert.InRange(protect, 4, 64);
        Assert.InRange(unmap, 4, 64);
    }

    [Fact]
    public void AFailedRegionMapRollsBackWithoutLeaks()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        var lookups = new StrongBox<long>();
        using var pt = PageTable64<X64PagingMetaData, X64Pte, CountingHandler>.TryCreate(new CountingHandler(arena, lookups)).Value;
        Assert.True(pt.Map(new VirtAddr(0x4000_0000 + 700 * 0x1000), new PhysAddr(0), PageSize.Size4K, MappingFlags.Read).IsOk);
        Assert.Equal(PagingError.AlreadyMapped, pt.MapRegion(new VirtAddr(0x4000_0000), new PhysAddr(0), Pages * 0x1000, MappingFlags.Read, false, false).Error);
        Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(0x4000_0000)).Error);
        Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(0x4000_0000 + 699 * 0x1000)).Error);
        Assert.True(pt.Query(new VirtAddr(0x4000_0000 + 700 * 0x1000)).IsOk);
    }

    // Separate facts rather than one theory: Stryker's per-test coverage tells theory rows apart poorly.
    [Fact]
    public void AnUnalignedFrameInsideALastLevelTableStopsTheMapAndRollsBack() =>
        BadFrameInsideALastLevelTable(0x800, PagingError.NotAligned);

    [Fact]
    public void AFrameBeyondThePhysicalWidthInsideALastLevelTableStopsTheMapAndRollsBack() =>
        BadFrameInsideALastLevelTable(1UL << 52, PagingError.InvalidPhysAddr);

    private static void BadFrameInsideALastLevelTable(ulong badPa, PagingError expected)
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        using var pt = X64PageTable.TryCreate(arena).Value;
        const ulong va = 0x4000_0000;
        // Page 5 of the first last-level table gets the bad frame; pages 0..4 were written before it.
        int calls = 0;
        var result = pt.MapRegion(new VirtAddr(va), v => { calls++; return new PhysAddr(v.Value == va + 5 * 0x1000 ? badPa : v.Value - va); },
            16 * 0x1000, MappingFlags.Read, false, false);
        Assert.Equal(expected, result.Error);
        Assert.Equal(6, calls); // once per page, up to and including the bad one
        for (ulong page = 0; page < 16; page++)
            Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(va + page * 0x1000)).Error);
    }

    [Fact]
    public void TheLastFrameBelowThePhysicalWidthIsAcceptedInsideALastLevelTable()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        using var pt = X64PageTable.TryCreate(arena).Value;
        const ulong va = 0x4000_0000, last = (1UL << 52) - 0x1000;
        Assert.True(pt.MapRegion(new VirtAddr(va), v => new PhysAddr(v.Value == va + 5 * 0x1000 ? last : v.Value - va), 16 * 0x1000,
            MappingFlags.Read, false, false).IsOk);
        Assert.Equal(new PhysAddr(last), pt.Query(new VirtAddr(va + 5 * 0x1000)).Value.Paddr);
    }

    [Fact]
    public void AHoleInsideALastLevelTableStopsUnmapAndProtectBeforeAnyChange()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        using var pt = X64PageTable.TryCreate(arena).Value;
        const ulong va = 0x4000_0000;
        Assert.True(pt.MapRegion(new VirtAddr(va), new PhysAddr(0), 16 * 0x1000, MappingFlags.Read, false, false).IsOk);
        Assert.True(pt.Unmap(new VirtAddr(va + 9 * 0x1000)).IsOk);

        Assert.Equal(PagingError.NotMapped, pt.ProtectRegion(new VirtAddr(va), 16 * 0x1000, MappingFlags.Read | MappingFlags.Write, false).Error);
        Assert.Equal(PagingError.NotMapped, pt.UnmapRegion(new VirtAddr(va), 16 * 0x1000, false).Error);
        for (ulong page = 0; page < 16; page++)
        {
            var q = pt.Query(new VirtAddr(va + page * 0x1000));
            if (page == 9)
            {
                Assert.Equal(PagingError.NotMapped, q.Error);
                continue;
            }
            Assert.Equal((new PhysAddr(page * 0x1000), MappingFlags.Read, PageSize.Size4K), q.Value);
        }

        // Up to the hole both succeed, and touch exactly those pages.
        Assert.True(pt.ProtectRegion(new VirtAddr(va), 9 * 0x1000, MappingFlags.Read | MappingFlags.Write, false).IsOk);
        Assert.Equal(MappingFlags.Read | MappingFlags.Write, pt.Query(new VirtAddr(va + 8 * 0x1000)).Value.Flags);
        Assert.Equal(MappingFlags.Read, pt.Query(new VirtAddr(va + 10 * 0x1000)).Value.Flags);
        Assert.True(pt.UnmapRegion(new VirtAddr(va), 9 * 0x1000, false).IsOk);
        Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(va + 8 * 0x1000)).Error);
        Assert.True(pt.Query(new VirtAddr(va + 10 * 0x1000)).IsOk);
    }
}

/// <summary>
/// Unmap gives back emptied tables by visiting only the tables on the unmapped page's path, in either canonical half:
/// the lookups do not grow with the number of other tables (an upper-half address once made the reclaim walk every
/// table above it).
/// </summary>
public sealed class ReclaimPathTests
{
    private static long UnmapLookups<TMeta, TPte>(ulong va, ulong stride)
        where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 256);
        var lookups = new StrongBox<long>();
        using var pt = PageTable64<TMeta, TPte, CountingHandler>.TryCreate(new CountingHandler(arena, lookups)).Value;
        // Sixteen pages 1 GiB apart from va upward: each in tables of its own below the top two levels.
        for (ulong i = 0; i < 16; i++)
            Assert.True(pt.Map(new VirtAddr(va + i * stride), new PhysAddr(0x1000), PageSize.Size4K, MappingFlags.Read).IsOk);
        int held = arena.InUse;
        lookups.Value = 0;
        Assert.True(pt.Unmap(new VirtAddr(va)).IsOk);
        Assert.Equal(held - 2, arena.InUse); // its 4K table and its 2M-level table go; the rest stays
        return lookups.Value;
    }

    [Fact]
    public void UnmapVisitsOnlyThePathInBothHalves()
    {
        const ulong G = 0x4000_0000;
        foreach (ulong va in new[] { 0x10_0000_0000UL, 0xffff_8010_0000_0000UL })
        {
            Assert.InRange(UnmapLookups<X64PagingMetaData, X64Pte>(va, G), 1, 12);
            Assert.InRange(UnmapLookups<A64PagingMetaData, A64Pte>(va, G), 1, 12);
            Assert.InRange(UnmapLookups<Sv48PagingMetaData, RiscVPte>(va, G), 1, 12);
            Assert.InRange(UnmapLookups<La64PagingMetaData, La64Pte>(va, G), 1, 12);
        }
        foreach (ulong va in new[] { 0x10_0000_0000UL, 0xffff_ffd0_0000_0000UL })
            Assert.InRange(UnmapLookups<Sv39PagingMetaData, RiscVPte>(va, G), 1, 12);
    }
}
