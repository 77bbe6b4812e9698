using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>The README's usage example (the C# port of the original crate's x86_64 example), run as a test.</summary>
public sealed class UsageExample
{
    [Fact]
    public void ReadmeExample()
    {
        // README example begins
        // Simulated physical memory: 64 frames of 4 KiB at guest-physical 0x10_0000.
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 64);
        using var pt = X64PageTable.TryCreate(arena).Value;

        var vaddr = new VirtAddr(0xdead_beef_000);
        var paddr = new PhysAddr(0x2000);
        var flags = MappingFlags.Read | MappingFlags.Write;

        Assert.True(pt.RootPaddr.IsAligned4K);
        Assert.True(pt.Map(vaddr, paddr, PageSize.Size4K, flags).IsOk);
        Assert.Equal((paddr, flags, PageSize.Size4K), pt.Query(vaddr).Value);

        // Errors are values: mapping the same page again is refused and changes nothing.
        Assert.Equal(PagingError.AlreadyMapped, pt.Map(vaddr, paddr, PageSize.Size4K, flags).Error);
        // README example ends

        // The example's page sits in a 4-level table: root + 3 tables.
        Assert.Equal(4, arena.InUse);
        pt.Dispose();
        Assert.Equal(0, arena.InUse);
    }

    [Fact]
    public void ManyTablesEachWithItsOwnArenaRunInParallel()
    {
        Parallel.For(0, 8, i =>
        {
            using var arena = new FrameArena(new PhysAddr(0x100_0000 * (ulong)(i + 1)), 256);
            using var pt = Sv48PageTable.TryCreate(arena).Value;
            for (ulong p = 0; p < 200; p++)
                Assert.True(pt.Map(new VirtAddr(p * 0x20_0000), new PhysAddr(p * 0x1000), PageSize.Size4K, MappingFlags.Read).IsOk);
            for (ulong p = 0; p < 200; p++)
                Assert.Equal(new PhysAddr(p * 0x1000 + 0x10), pt.Query(new VirtAddr(p * 0x20_0000 + 0x10)).Value.Paddr);
            pt.Dispose();
            Assert.Equal(0, arena.InUse);
        });
    }
}
