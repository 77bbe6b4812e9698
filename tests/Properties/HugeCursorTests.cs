using System.Runtime.CompilerServices;
using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>
/// Region maps with huge pages allowed stay in a table for a run of 2M (or 1G) pages as they do for 4K pages: one
/// descent per run, then entries written in place. Each way a run can end — the table's end, the region's end, a frame
/// that does not suit the size, an entry in the way, a source that throws — must give what one descent per page gives.
/// </summary>
public sealed class HugeCursorTests
{
    private const ulong G = 0x4000_0000, M2 = 0x20_0000, K4 = 0x1000;
    private const MappingFlags R = MappingFlags.Read;

    [Fact]
    public void AnUnalignedHugeRegionDescendsPerRunNotPerPage()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        var lookups = new StrongBox<long>();
        using var pt = PageTable64<X64PagingMetaData, X64Pte, CountingHandler>.TryCreate(new CountingHandler(arena, lookups)).Value;
        lookups.Value = 0;
        // From 1 GiB + 4 KiB: 511 4K pages, 511 2M pages, one 4K page.
        Assert.True(pt.MapRegion(new VirtAddr(G + K4), new PhysAddr(G + K4), G, R, true, false).IsOk);
        long contiguous = lookups.Value;
        lookups.Value = 0;
        int calls = 0;
        Assert.True(pt.MapRegion(new VirtAddr(4 * G + K4), v => { calls++; return new PhysAddr(v.Value - 3 * G); }, G, R, true, false).IsOk);
        long callback = lookups.Value;

        // A descent from the root per 2M page would cost three lookups each (over 1,500).
        Assert.InRange(contiguous, 4, 32);
        Assert.InRange(callback, 4, 32);
        Assert.Equal(511 + 511 + 1, calls); // once per page
        foreach (ulong start in new[] { G, 4 * G })
        {
            const ulong pa = G; // both regions map to the frames from 1 GiB on
            Assert.Equal((new PhysAddr(pa + K4), R, PageSize.Size4K), pt.Query(new VirtAddr(start + K4)).Value);
            Assert.Equal((new PhysAddr(pa + M2 - K4), R, PageSize.Size4K), pt.Query(new VirtAddr(start + M2 - K4)).Value);
            Assert.Equal((new PhysAddr(pa + M2), R, PageSize.Size2M), pt.Query(new VirtAddr(start + M2)).Value);
            Assert.Equal((new PhysAddr(pa + G - M2 + 5), R, PageSize.Size2M), pt.Query(new VirtAddr(start + G - M2 + 5)).Value);
            Assert.Equal((new PhysAddr(pa + G), R, PageSize.Size4K), pt.Query(new VirtAddr(start + G)).Value);
            Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(start + G + K4)).Error);
        }
    }

    [Fact] public void X64HugeLeavesAreNewPageBitForBit() => HugeLeavesAreNewPage<X64PagingMetaData, X64Pte>(gigabytes: true);
    [Fact] public void A64HugeLeavesAreNewPageBitForBit() => HugeLeavesAreNewPage<A64PagingMetaData, A64Pte>(gigabytes: true);
    [Fact] public void Sv39HugeLeavesAreNewPageBitForBit() => HugeLeavesAreNewPage<Sv39PagingMetaData, RiscVPte>(gigabytes: false);
    [Fact] public void Sv48HugeLeavesAreNewPageBitForBit() => HugeLeavesAreNewPage<Sv48PagingMetaData, RiscVPte>(gigabytes: true);
    [Fact] public void La64HugeLeavesAreNewPageBitForBit() => HugeLeavesAreNewPage<La64PagingMetaData, La64Pte>(gigabytes: true);

    /// <summary>A run of 2M pages (and, below a 4-level root, of 1G pages) writes what <c>NewPage</c> writes for each.</summary>
    private static void HugeLeavesAreNewPage<TMeta, TPte>(bool gigabytes)
        where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
    {
        using var arena = new FrameArena(new PhysAddr(0x100_0000), 16);
        using var pt = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(arena)).Value;
        var flags = MappingFlags.Read | MappingFlags.Write | MappingFlags.User | MappingFlags.Uncached;
        Assert.True(pt.MapRegion(new VirtAddr(G), new PhysAddr(0x2_0000_0000), 6 * M2, flags, true, false).IsOk);
        if (gigabytes) Assert.True(pt.MapRegion(new VirtAddr(4 * G), new PhysAddr(0x4_0000_0000), 3 * G, flags, true, false).IsOk);
        var leaves = new List<(int Level, ulong Va, TPte Entry)>();
        pt.Walk(int.MaxValue, (level, _, vaddr, entry) =>
        {
            if (level < TMeta.Levels - 1 && entry.IsHuge) leaves.Add((level, vaddr.Value, entry));
        }, null);
        Assert.Equal(gigabytes ? 9 : 6, leaves.Count);
        foreach (var (level, va, entry) in leaves)
        {
            ulong pa = va < 4 * G ? 0x2_0000_0000 + (va - G) : 0x4_0000_0000 + (va - 4 * G);
            Assert.Equal(va < 4 * G ? TMeta.Levels - 2 : TMeta.Levels - 3, level);
            Assert.Equal(TPte.NewPage(new PhysAddr(pa), flags, true).Bits, entry.Bits);
        }
    }

    [Fact]
    public void AFrameNotAlignedToTheRunsSizeTakes4KPagesThereAndTheRunGoesOn()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        using var pt = X64PageTable.TryCreate(arena).Value;
        // Four 2M pieces; the third one's frames are 4 KiB off a 2M boundary.
        int calls = 0;
        PhysAddr Frame(VirtAddr v)
        {
            calls++;
            ulong offset = v.Value - G;
            return new PhysAddr(0x8000_0000 + offset + (offset / M2 == 2 ? K4 : 0));
        }
        Assert.True(pt.MapRegion(new VirtAddr(G), Frame, 4 * M2, R, true, false).IsOk);
        Assert.Equal(2 + 512 + 1, calls);
        Assert.Equal(PageSize.Size2M, pt.Query(new VirtAddr(G + M2)).Value.Size);
        Assert.Equal((new PhysAddr(0x8000_0000 + 2 * M2 + K4), R, PageSize.Size4K), pt.Query(new VirtAddr(G + 2 * M2)).Value);
        Assert.Equal((new PhysAddr(0x8000_0000 + 3 * M2), R, PageSize.Size4K), pt.Query(new VirtAddr(G + 3 * M2 - K4)).Value);
        Assert.Equal((new PhysAddr(0x8000_0000 + 3 * M2), R, PageSize.Size2M), pt.Query(new VirtAddr(G + 3 * M2)).Value);
    }

    [Fact]
    public void AFrameBeyondThePhysicalWidthInsideARunStopsTheMapAndRollsBack()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        using var pt = X64PageTable.TryCreate(arena).Value;
        var result = pt.MapRegion(new VirtAddr(G), v => new PhysAddr(v.Value == G + 3 * M2 ? 1UL << 52 : v.Value), 5 * M2, R, true, true);
        Assert.Equal(PagingError.InvalidPhysAddr, result.Error);
        AssertEmpty(pt, arena);
        // One 2M short of that frame, the same region maps.
        Assert.True(pt.MapRegion(new VirtAddr(G), v => new PhysAddr(v.Value), 3 * M2, R, true, true).IsOk);
        Assert.Equal(PageSize.Size2M, pt.Query(new VirtAddr(G + 2 * M2)).Value.Size);
    }

    [Fact]
    public void AMappingInsideARunStopsTheMapAndRollsBack()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        using var pt = X64PageTable.TryCreate(arena).Value;
        Assert.True(pt.Map(new VirtAddr(G + 3 * M2 + 5 * K4), new PhysAddr(0), PageSize.Size4K, R).IsOk);
        Assert.Equal(PagingError.AlreadyMapped, pt.MapRegion(new VirtAddr(G), new PhysAddr(0x8000_0000), 5 * M2, R, true, false).Error);
        Assert.Equal(PageSize.Size4K, pt.Query(new VirtAddr(G + 3 * M2 + 5 * K4)).Value.Size);
        foreach (ulong i in new ulong[] { 0, 1, 2, 4 })
            Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(G + i * M2 + 5 * K4)).Error);
        Assert.Equal(4, arena.InUse); // the root and the three tables of the 4K page
    }

    [Fact]
    public void ASourceThatThrowsInsideARunLeavesNothingMapped()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        using var pt = X64PageTable.TryCreate(arena).Value;
        var thrown = new InvalidOperationException("no frame for this page");
        var e = Assert.Throws<InvalidOperationException>(() =>
            pt.MapRegion(new VirtAddr(G), v => v.Value == G + 4 * M2 ? throw thrown : new PhysAddr(v.Value), 6 * M2, R, true, false));
        Assert.Same(thrown, e);
        AssertEmpty(pt, arena);
    }

    [Fact]
    public void A1GRunBelowTheRootStopsAtTheRegionsEnd()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 16);
        var lookups = new StrongBox<long>();
        using var pt = PageTable64<X64PagingMetaData, X64Pte, CountingHandler>.TryCreate(new CountingHandler(arena, lookups)).Value;
        lookups.Value = 0;
        Assert.True(pt.MapRegion(new VirtAddr(G), new PhysAddr(0), 40 * G + M2, R, true, false).IsOk);
        Assert.InRange(lookups.Value, 2, 12);
        Assert.Equal((new PhysAddr(39 * G + 7), R, PageSize.Size1G), pt.Query(new VirtAddr(40 * G + 7)).Value);
        Assert.Equal((new PhysAddr(40 * G), R, PageSize.Size2M), pt.Query(new VirtAddr(41 * G)).Value);
        Assert.Equal(PagingError.NotMapped, pt.Query(new VirtAddr(41 * G + M2)).Error);
    }

    private static void AssertEmpty(PageTable64<X64PagingMetaData, X64Pte, ArenaHandler> pt, FrameArena arena)
    {
        int entries = 0;
        pt.Walk(int.MaxValue, (_, _, _, _) => entries++, null);
        Assert.Equal(0, entries);
        Assert.Equal(1, arena.InUse); // the root only
    }
}
