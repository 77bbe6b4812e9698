using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>
/// Splits of huge pages by <c>UnmapRegion</c> and <c>ProtectRegion</c>, worked out by hand (docs/semantics.md, "Split"):
/// which pages a region cuts, how many tables the split takes, what every other page keeps, and the scan that runs before
/// anything is split. One suite, run for each architecture.
/// </summary>
public abstract class SplitTests<TMeta, TPte> : IDisposable
    where TMeta : struct, IPagingMetaData
    where TPte : unmanaged, IGenericPte<TPte>
{
    private const MappingFlags R = MappingFlags.Read, RW = MappingFlags.Read | MappingFlags.Write;
    private const ulong K4 = 0x1000, M2 = 0x20_0000, G1 = 0x4000_0000;

    private readonly FrameArena _arena = new(new PhysAddr(0x8000_0000), 64);
    private readonly PageTable64<TMeta, TPte, ArenaHandler> _table;

    protected SplitTests()
    {
        _table = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(_arena)).Value;
    }

    public void Dispose()
    {
        _table.Dispose();
        Assert.Equal(0, _arena.InUse);
        _arena.Dispose();
        GC.SuppressFinalize(this);
    }

    private void Map(ulong va, ulong pa, PageSize size, MappingFlags flags = RW) =>
        Assert.True(_table.Map(new VirtAddr(va), new PhysAddr(pa), size, flags).IsOk);

    private (PhysAddr, MappingFlags, PageSize) At(ulong va) => _table.Query(new VirtAddr(va)).Value;

    private static (PhysAddr, MappingFlags, PageSize) T(ulong pa, MappingFlags flags, PageSize size) => (new PhysAddr(pa), flags, size);

    private PagingResult<TlbFlushAll<TMeta>> Unmap(ulong va, ulong size) => _table.UnmapRegion(new VirtAddr(va), size, false);

    private PagingResult<TlbFlushAll<TMeta>> Protect(ulong va, ulong size, MappingFlags flags) => _table.ProtectRegion(new VirtAddr(va), size, flags, false);

    private static void Ok(PagingResult<TlbFlushAll<TMeta>> result) => Assert.True(result.IsOk, result.ToString());

    private static void Fails(PagingError expected, PagingResult<TlbFlushAll<TMeta>> result)
    {
        Assert.False(result.IsOk);
        Assert.Equal(expected, result.Error);
    }

    [Fact]
    public void AHoleAfterTheEndOfALastLevelTableIsFoundBeforeAHugePageIsCut()
    {
        // The last two 4K pages of one last-level table, then nothing for 2 MiB, then a 2M page the region ends inside:
        // the coverage scan leaves the first table at its end and must go on from the next address, where the hole is.
        Map(M2 - 2 * K4, 0x10_0000, PageSize.Size4K);
        Map(M2 - K4, 0x10_1000, PageSize.Size4K);
        Map(2 * M2, G1, PageSize.Size2M);
        int before = _arena.InUse;
        Fails(PagingError.NotMapped, Protect(M2 - 2 * K4, 2 * K4 + M2 + K4, R));
        Fails(PagingError.NotMapped, Unmap(M2 - 2 * K4, 2 * K4 + M2 + K4));
        Assert.Equal(before, _arena.InUse);
        Assert.Equal(T(0x10_0000, RW, PageSize.Size4K), At(M2 - 2 * K4));
        Assert.Equal(T(G1 + K4, RW, PageSize.Size2M), At(2 * M2 + K4));
    }

    [Fact]
    public void AHoleAfterAFullLastLevelTableIsFoundWhenAHugePageIsCutFirst()
    {
        // A 2M page the region starts inside, a last-level table mapped whole, then one page and a hole: the first scan
        // stops at the cut huge page, so only the coverage scan, going on from the end of the full table, finds the hole.
        Map(M2, G1, PageSize.Size2M);
        Assert.True(_table.MapRegion(new VirtAddr(2 * M2), new PhysAddr(G1 + M2), M2, RW, false, false).IsOk);
        Map(3 * M2, G1 + 2 * M2, PageSize.Size4K);
        int before = _arena.InUse;
        Fails(PagingError.NotMapped, Unmap(M2 + K4, 2 * M2 + K4));
        Fails(PagingError.NotMapped, Protect(M2 + K4, 2 * M2 + K4, R));
        Assert.Equal(before, _arena.InUse);
        Assert.Equal(T(G1 + K4, RW, PageSize.Size2M), At(M2 + K4));
        Assert.Equal(T(G1 + M2 + 511 * K4, RW, PageSize.Size4K), At(3 * M2 - K4));
        Assert.Equal(T(G1 + 2 * M2, RW, PageSize.Size4K), At(3 * M2));
    }

    [Fact]
    public void AGuardPageInsideA2MPageTakesOneTableAndKeepsTheOther511Pages()
    {
        Map(M2, G1, PageSize.Size2M);
        int before = _arena.InUse;
        Ok(Unmap(M2 + 7 * K4, K4));
        Assert.Equal(before + 1, _arena.InUse);
        Assert.Equal(PagingError.NotMapped, _table.Query(new VirtAddr(M2 + 7 * K4)).Error);
        Assert.Equal(T(G1, RW, PageSize.Size4K), At(M2));
        Assert.Equal(T(G1 + 6 * K4 + 0x123, RW, PageSize.Size4K), At(M2 + 6 * K4 + 0x123));
        Assert.Equal(T(G1 + 8 * K4, RW, PageSize.Size4K), At(M2 + 8 * K4));
        Assert.Equal(T(G1 + M2 - K4, RW, PageSize.Size4K), At(2 * M2 - K4));
    }

    [Fact]
    public void A2MAlignedRangeInsideA1GPageIsChangedAsOne2MPage()
    {
        Map(G1, 2 * G1, PageSize.Size1G);
        int before = _arena.InUse;
        Ok(Protect(G1 + 5 * M2, M2, R));
        Assert.Equal(before + 1, _arena.InUse); // the table of 2M pieces, and no 4K table
        Assert.Equal(T(2 * G1 + 5 * M2 + K4, R, PageSize.Size2M), At(G1 + 5 * M2 + K4));
        Assert.Equal(T(2 * G1 + 4 * M2, RW, PageSize.Size2M), At(G1 + 4 * M2));
        Assert.Equal(T(2 * G1 + 6 * M2, RW, PageSize.Size2M), At(G1 + 6 * M2));
        Assert.Equal(T(2 * G1, RW, PageSize.Size2M), At(G1));
        Assert.Equal(T(3 * G1 - M2, RW, PageSize.Size2M), At(2 * G1 - M2));
    }

    [Fact]
    public void BothEndsInOne2MPieceOfA1GPageSplitThatPieceOnce()
    {
        Map(0, 0, PageSize.Size1G);
        int before = _arena.InUse;
        Ok(Unmap(3 * M2 + 2 * K4, 2 * K4));
        Assert.Equal(before + 2, _arena.InUse);
        Assert.Equal(T(3 * M2 + K4, RW, PageSize.Size4K), At(3 * M2 + K4));
        Assert.Equal(PagingError.NotMapped, _table.Query(new VirtAddr(3 * M2 + 3 * K4)).Error);
        Assert.Equal(T(3 * M2 + 4 * K4, RW, PageSize.Size4K), At(3 * M2 + 4 * K4));
        Assert.Equal(T(2 * M2, RW, PageSize.Size2M), At(2 * M2));
        Assert.Equal(T(4 * M2, RW, PageSize.Size2M), At(4 * M2));
    }

    [Fact]
    public void EndsInTwo2MPiecesOfA1GPageSplitBothPieces()
    {
        Map(G1, 0, PageSize.Size1G);
        int before = _arena.InUse;
        Ok(Protect(G1 + M2 + K4, 2 * M2 - 2 * K4, R));
        Assert.Equal(before + 3, _arena.InUse);
        Assert.Equal(T(M2, RW, PageSize.Size4K), At(G1 + M2));
        Assert.Equal(T(M2 + K4, R, PageSize.Size4K), At(G1 + M2 + K4));
        Assert.Equal(T(2 * M2, R, PageSize.Size4K), At(G1 + 2 * M2));
        Assert.Equal(T(3 * M2 - 2 * K4, R, PageSize.Size4K), At(G1 + 3 * M2 - 2 * K4));
        Assert.Equal(T(3 * M2 - K4, RW, PageSize.Size4K), At(G1 + 3 * M2 - K4));
        Assert.Equal(T(3 * M2, RW, PageSize.Size2M), At(G1 + 3 * M2));
        Assert.Equal(T(0, RW, PageSize.Size2M), At(G1));
    }

    [Fact]
    public void Two1GPagesEachCutByOneEndTakeFourTables()
    {
        Map(G1, 0, PageSize.Size1G);
        Map(2 * G1, 4 * G1, PageSize.Size1G);
        int before = _arena.InUse;
        Ok(Unmap(2 * G1 - K4, 2 * K4)); // the last 4K of the first page (its piece 511), the first 4K of the second (piece 0)
        Assert.Equal(before + 4, _arena.InUse);
        Assert.Equal(T(G1 - 2 * K4, RW, PageSize.Size4K), At(2 * G1 - 2 * K4));
        Assert.Equal(T(G1 - 2 * M2, RW, PageSize.Size2M), At(2 * G1 - 2 * M2));
        Assert.Equal(PagingError.NotMapped, _table.Query(new VirtAddr(2 * G1 - K4)).Error);
        Assert.Equal(PagingError.NotMapped, _table.Query(new VirtAddr(2 * G1)).Error);
        Assert.Equal(T(4 * G1 + K4, RW, PageSize.Size4K), At(2 * G1 + K4));
        Assert.Equal(T(4 * G1 + M2, RW, PageSize.Size2M), At(2 * G1 + M2));
    }

    [Fact]
    public void APageThatEndsOrStartsWithTheRegionIsNotSplit()
    {
        Map(M2, 0, PageSize.Size2M);
        Map(2 * M2, M2, PageSize.Size2M);
        Map(3 * M2, 2 * M2, PageSize.Size2M);
        int before = _arena.InUse;
        Ok(Protect(M2, M2 + K4, R)); // the first page whole, the second cut at the region's end
        Assert.Equal(before + 1, _arena.InUse);
        Assert.Equal(T(0, R, PageSize.Size2M), At(M2));
        Assert.Equal(T(M2, R, PageSize.Size4K), At(2 * M2));
        Assert.Equal(T(M2 + K4, RW, PageSize.Size4K), At(2 * M2 + K4));

        Ok(Protect(2 * M2 + 2 * K4, 2 * M2 - 2 * K4, MappingFlags.Read | MappingFlags.Execute)); // up to the third page's end
        Assert.Equal(before + 1, _arena.InUse);
        Assert.Equal(T(2 * M2, MappingFlags.Read | MappingFlags.Execute, PageSize.Size2M), At(3 * M2));
        Assert.Equal(T(M2 + K4, RW, PageSize.Size4K), At(2 * M2 + K4));
    }

    [Fact]
    public void ARegionEndingAt2Pow64CutsOnlyAtItsStart()
    {
        const ulong top = 0xffff_ffff_ffe0_0000; // the last 2M of every address space here
        Map(top, G1, PageSize.Size2M);
        int before = _arena.InUse;
        Ok(Unmap(top + M2 / 2, M2 / 2));
        Assert.Equal(before + 1, _arena.InUse);
        Assert.Equal(T(G1 + M2 / 2 - K4, RW, PageSize.Size4K), At(top + M2 / 2 - K4));
        Assert.Equal(PagingError.NotMapped, _table.Query(new VirtAddr(top + M2 / 2)).Error);
        Assert.Equal(PagingError.NotMapped, _table.Query(new VirtAddr(0xffff_ffff_ffff_f000)).Error);
    }

    [Fact]
    public void ARegionGoingOnPastACutPageInto4KPagesOfTheNextTablesSucceeds()
    {
        Map(M2, G1, PageSize.Size2M);
        Assert.True(_table.MapRegion(new VirtAddr(2 * M2), new PhysAddr(0), M2 + 3 * K4, RW, false, false).IsOk); // two last-level tables
        Ok(Unmap(M2 + K4, 2 * M2 + K4)); // up to 3 * M2 + 2 * K4
        Assert.Equal(T(G1, RW, PageSize.Size4K), At(M2));
        Assert.Equal(PagingError.NotMapped, _table.Query(new VirtAddr(3 * M2)).Error);
        Assert.Equal(PagingError.NotMapped, _table.Query(new VirtAddr(3 * M2 + K4)).Error);
        Assert.Equal(T(M2 + 2 * K4, RW, PageSize.Size4K), At(3 * M2 + 2 * K4));
    }

    [Fact]
    public void AHoleAfterACutPageFailsWithNothingSplitOrTaken()
    {
        Map(M2, G1, PageSize.Size2M);
        Map(2 * M2, 0, PageSize.Size4K);
        int before = _arena.InUse;
        // The hole right after the huge page, in the 4K pages after it, and after a whole 2M page of a 1G page.
        Fails(PagingError.NotMapped, Unmap(M2 + K4, M2 + 2 * K4));
        Fails(PagingError.NotMapped, Protect(M2 + K4, M2 + 2 * K4, R));
        Fails(PagingError.NotMapped, Unmap(M2 + K4, 2 * M2));
        Map(G1, 0, PageSize.Size1G);
        int withGiB = _arena.InUse;
        Fails(PagingError.NotMapped, Protect(2 * G1 - M2 - K4, M2 + 2 * K4, R));
        Assert.Equal(withGiB - before, _arena.InUse - before);
        Assert.Equal(T(G1 + K4, RW, PageSize.Size2M), At(M2 + K4));
        Assert.Equal(T(G1 - K4, RW, PageSize.Size1G), At(2 * G1 - K4));
        Assert.Equal(T(0, RW, PageSize.Size4K), At(2 * M2));
    }

    [Fact]
    public void ABorrowedSlotAfterACutPageFailsWithNothingSplitOrTaken()
    {
        ulong slot = 1UL << (12 + 9 * (TMeta.Levels - 1)); // the first address of root slot 1
        using var other = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(_arena)).Value;
        Map(slot - G1, 0, PageSize.Size1G);
        Assert.True(_table.CopyFrom(other, new VirtAddr(slot), K4).IsOk);
        int before = _arena.InUse;
        Fails(PagingError.BorrowedEntry, Unmap(slot - K4, 2 * K4));
        Fails(PagingError.BorrowedEntry, Protect(slot - G1 + K4, G1, R));
        Assert.Equal(before, _arena.InUse);
        Assert.Equal(T(G1 - K4, RW, PageSize.Size1G), At(slot - K4));
    }

    [Fact]
    public void SinglePageOperationsInsideAHugePageStillRefuseAndSplitNothing()
    {
        Map(M2, G1, PageSize.Size2M);
        int before = _arena.InUse;
        Assert.Equal(PagingError.MappedToHugePage, _table.Unmap(new VirtAddr(M2 + K4)).Error);
        Assert.Equal(PagingError.MappedToHugePage, _table.Protect(new VirtAddr(M2 + K4), R).Error);
        Assert.Equal(PagingError.MappedToHugePage, _table.Remap(new VirtAddr(M2 + K4), new PhysAddr(0), R).Error);
        Assert.Equal(PagingError.MappedToHugePage, _table.Map(new VirtAddr(M2 + K4), new PhysAddr(0), PageSize.Size4K, R).Error);
        Assert.Equal(PagingError.MappedToHugePage, _table.MapRegion(new VirtAddr(M2 + K4), new PhysAddr(0), K4, R, false, false).Error);
        Assert.Equal(PagingError.AlreadyMapped, _table.MapRegion(new VirtAddr(0), new PhysAddr(0), 2 * M2, R, true, false).Error);
        Assert.Equal(before, _arena.InUse);
        Assert.Equal(T(G1 + K4, RW, PageSize.Size2M), At(M2 + K4));
    }
}

public sealed class X64SplitTests : SplitTests<X64PagingMetaData, X64Pte>;

public sealed class A64SplitTests : SplitTests<A64PagingMetaData, A64Pte>;

public sealed class Sv39SplitTests : SplitTests<Sv39PagingMetaData, RiscVPte>;

public sealed class Sv48SplitTests : SplitTests<Sv48PagingMetaData, RiscVPte>;

public sealed class La64SplitTests : SplitTests<La64PagingMetaData, La64Pte>;
