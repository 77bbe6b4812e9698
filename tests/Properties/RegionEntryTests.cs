using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>
/// Region operations write, byte for byte, the entries the single-page operations write: the cursor's fast path
/// inside a last-level table (a template entry with the frame set) must not differ from <c>NewPage</c>/<c>SetFlags</c>.
/// Compared on raw bits, so a stray bit that the model and even the walkers might not look at (x86's PAT bit,
/// LoongArch's G bit at the last level) is still seen.
/// </summary>
public sealed class RegionEntryTests
{
    private const ulong Va = 0x4000_0000;
    private const int Pages = 40; // crosses no table boundary, so all but the first page take the fast path

    [Fact] public void X64() => SameEntries<X64PagingMetaData, X64Pte>();
    [Fact] public void A64() => SameEntries<A64PagingMetaData, A64Pte>();
    [Fact] public void Sv39() => SameEntries<Sv39PagingMetaData, RiscVPte>();
    [Fact] public void Sv48() => SameEntries<Sv48PagingMetaData, RiscVPte>();
    [Fact] public void La64() => SameEntries<La64PagingMetaData, La64Pte>();

    private static void SameEntries<TMeta, TPte>()
        where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
    {
        using var arena = new FrameArena(new PhysAddr(0x100_0000), 32);
        using var region = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(arena)).Value;
        using var single = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(arena)).Value;
        var rw = MappingFlags.Read | MappingFlags.Write | MappingFlags.User;
        var rx = MappingFlags.Read | MappingFlags.Execute | MappingFlags.Uncached;

        Assert.True(region.MapRegion(new VirtAddr(Va), new PhysAddr(0x5000_0000), Pages * 0x1000UL, rw, false, false).IsOk);
        for (ulong i = 0; i < Pages; i++)
            Assert.True(single.Map(new VirtAddr(Va + i * 0x1000), new PhysAddr(0x5000_0000 + i * 0x1000), PageSize.Size4K, rw).IsOk);
        Assert.Equal(Leaves(single), Leaves(region));
        Assert.Equal(Pages, Leaves(region).Count);

        Assert.True(region.ProtectRegion(new VirtAddr(Va), Pages * 0x1000UL, rx, false).IsOk);
        for (ulong i = 0; i < Pages; i++)
            Assert.True(single.Protect(new VirtAddr(Va + i * 0x1000), rx).IsOk);
        Assert.Equal(Leaves(single), Leaves(region));
        Assert.All(Leaves(region), leaf => Assert.Equal(TPte.NewPage(new PhysAddr(leaf.Pa), rx, false).Bits, leaf.Bits));

        Assert.True(region.UnmapRegion(new VirtAddr(Va), Pages * 0x1000UL, false).IsOk);
        Assert.Empty(Leaves(region));
    }

    /// <summary>Every present last-level entry: its virtual address, raw bits and frame.</summary>
    private static List<(ulong Va, ulong Bits, ulong Pa)> Leaves<TMeta, TPte>(PageTable64<TMeta, TPte, ArenaHandler> table)
        where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
    {
        var leaves = new List<(ulong, ulong, ulong)>();
        table.Walk(int.MaxValue, (level, _, vaddr, entry) =>
        {
            if (level == TMeta.Levels - 1) leaves.Add((vaddr.Value, entry.Bits, entry.Paddr.Value));
        }, null);
        return leaves;
    }

    [Fact]
    public void UnmapGivesBackTheTablesItEmptiesSoAHugePageFindsNone()
    {
        using var arena = new FrameArena(new PhysAddr(0x100_0000), 16);
        using var pt = X64PageTable.TryCreate(arena).Value;
        var r = MappingFlags.Read;

        // A 4K page needs three tables below the root; unmapping it gives all three back.
        Assert.True(pt.Map(new VirtAddr(0x4020_0000), new PhysAddr(0x1000), PageSize.Size4K, r).IsOk);
        Assert.Equal(4, arena.InUse);
        Assert.True(pt.Unmap(new VirtAddr(0x4020_0000)).IsOk);
        Assert.Equal(1, arena.InUse);
        Assert.True(pt.Map(new VirtAddr(0x4020_0000), new PhysAddr(0x20_0000), PageSize.Size2M, r).IsOk);
        Assert.Equal(3, arena.InUse);
        Assert.Equal((new PhysAddr(0x20_0000), r, PageSize.Size2M), pt.Query(new VirtAddr(0x4020_0000)).Value);

        // Only the tables left empty go: the directory still holds the 2M page.
        Assert.True(pt.Map(new VirtAddr(0x4060_3000), new PhysAddr(0x1000), PageSize.Size4K, r).IsOk);
        Assert.Equal(4, arena.InUse);
        Assert.True(pt.Unmap(new VirtAddr(0x4060_3000)).IsOk);
        Assert.Equal(3, arena.InUse);

        // Not while the table still maps something.
        Assert.True(pt.Map(new VirtAddr(0xC000_5000), new PhysAddr(0x1000), PageSize.Size4K, r).IsOk);
        Assert.Equal(PagingError.AlreadyMapped, pt.Map(new VirtAddr(0xC000_0000), new PhysAddr(0x4000_0000), PageSize.Size1G, r).Error);
        Assert.Equal(PagingError.AlreadyMapped, pt.Map(new VirtAddr(0xC000_0000), new PhysAddr(0x20_0000), PageSize.Size2M, r).Error);

        // A region unmap gives back what it empties too; a region map with huge pages then needs no new table.
        Assert.True(pt.UnmapRegion(new VirtAddr(0xC000_5000), 0x1000, false).IsOk);
        Assert.Equal(3, arena.InUse);
        Assert.True(pt.MapRegion(new VirtAddr(0xC000_0000), new PhysAddr(0x4000_0000), 0x4000_0000, r, true, false).IsOk);
        Assert.Equal(3, arena.InUse);
        Assert.Equal(PageSize.Size1G, pt.Query(new VirtAddr(0xC000_0000)).Value.Size);
    }
}
