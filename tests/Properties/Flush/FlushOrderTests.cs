using Xunit;

namespace PageTableMultiarch.Properties.Flush;

/// <summary>
/// The order of entry writes, flushes and frees that the table performs itself, seen through the observing metadata and
/// handler: clear, invalidate, free; break-before-make where the architecture needs it; nothing of either on a table
/// that is not live. One suite, run for each architecture.
/// </summary>
public abstract class FlushOrderTests<TInner, TPte> : IDisposable
    where TInner : struct, IPagingMetaData
    where TPte : unmanaged, IGenericPte<TPte>
{
    private const MappingFlags R = MappingFlags.Read, RW = MappingFlags.Read | MappingFlags.Write;
    private const ulong K4 = 0x1000, M2 = 0x20_0000;

    private readonly FrameArena _arena = new(new PhysAddr(0x8000_0000), 64);
    private readonly PageTable64<Observed<TInner>, TPte, ObservedHandler> _table;
    private List<TableEvent> _events = [];

    protected FlushOrderTests()
    {
        _table = PageTable64<Observed<TInner>, TPte, ObservedHandler>.TryCreate(new ObservedHandler(_arena)).Value;
    }

    public void Dispose()
    {
        EventLog.Stop();
        _table.Dispose();
        _arena.Dispose();
        GC.SuppressFinalize(this);
    }

    private void Record() => _events = EventLog.Start(_arena);

    private static bool Bbm => TInner.BreakBeforeMake;

    private static TPte Page(ulong pa, MappingFlags flags) => TPte.NewPage(new PhysAddr(pa), flags, false);

    [Fact]
    public void ARemapOfALiveLeafBreaksBeforeMakingWhereTheArchitectureNeedsIt()
    {
        Assert.True(_table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Record();
        Assert.True(_table.Remap(new VirtAddr(0x1000), new PhysAddr(0xa000), R).IsOk);
        ulong oldBits = Page(0x9000, R).Bits, newBits = Page(0xa000, R).Bits;
        TableEvent[] expected = Bbm
            ? [W(oldBits, 0), new(EventKind.FlushPage, 0x1000), W(0, newBits)]
            : [W(oldBits, newBits)];
        Assert.Equal(expected, Strip(_events));
    }

    [Fact]
    public void ARemapOfATableThatIsNotLiveWritesInPlaceAndFlushesNothing()
    {
        _table.Live = false;
        Assert.False(_table.Live);
        Assert.True(_table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Record();
        Assert.True(_table.Remap(new VirtAddr(0x1000), new PhysAddr(0xa000), R).IsOk);
        Assert.Equal([W(Page(0x9000, R).Bits, Page(0xa000, R).Bits)], Strip(_events));
    }

    [Fact]
    public void APermissionChangeNeedsNoBreakButAMemoryTypeChangeDoesWhereTheArchitectureSaysSo()
    {
        Assert.True(_table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Record();
        Assert.True(_table.Protect(new VirtAddr(0x1000), RW).IsOk);
        Assert.Equal([W(Page(0x9000, R).Bits, Page(0x9000, RW).Bits)], Strip(_events));

        Record();
        Assert.True(_table.Protect(new VirtAddr(0x1000), RW | MappingFlags.Device).IsOk);
        ulong before = Page(0x9000, RW).Bits, after = Page(0x9000, RW | MappingFlags.Device).Bits;
        bool typeChanges = before != after; // RISC-V has no memory type in its entries
        TableEvent[] expected = Bbm && typeChanges
            ? [W(before, 0), new(EventKind.FlushPage, 0x1000), W(0, after)]
            : [W(before, after)];
        Assert.Equal(expected, Strip(_events));
    }

    [Fact]
    public void FromDeviceToNonCacheableIsAMemoryTypeChangeToo()
    {
        var device = R | MappingFlags.Device;
        var uncached = R | MappingFlags.Uncached;
        Assert.True(_table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, device).IsOk);
        Record();
        Assert.True(_table.Protect(new VirtAddr(0x1000), uncached).IsOk);
        ulong before = Page(0x9000, device).Bits, after = Page(0x9000, uncached).Bits;
        TableEvent[] expected = Bbm && before != after
            ? [W(before, 0), new(EventKind.FlushPage, 0x1000), W(0, after)]
            : [W(before, after)];
        Assert.Equal(expected, Strip(_events));
    }

    [Fact]
    public void TakingEveryRightAwayOrGivingThemBackIsOneWriteWhateverTheMemoryType()
    {
        // A PROT_NONE leaf is invalid: writing one over a valid leaf is itself the break, and writing a valid leaf over
        // it needs none (the flush returned for the first change removed what a walk had cached).
        MappingFlags device = R | MappingFlags.Device, none = MappingFlags.User, uncached = RW | MappingFlags.Uncached;
        Assert.True(_table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, device).IsOk);
        Record();
        Assert.True(_table.Protect(new VirtAddr(0x1000), none).IsOk);
        Assert.Equal([W(Page(0x9000, device).Bits, Page(0x9000, none).Bits)], Strip(_events));

        Record();
        Assert.True(_table.Remap(new VirtAddr(0x1000), new PhysAddr(0xa000), uncached).IsOk);
        Assert.Equal([W(Page(0x9000, none).Bits, Page(0xa000, uncached).Bits)], Strip(_events));

        Assert.True(_table.Map(new VirtAddr(0x2000), new PhysAddr(0xb000), PageSize.Size4K, device).IsOk);
        Record();
        Assert.True(_table.ProtectRegion(new VirtAddr(0x1000), 2 * K4, MappingFlags.None, flushTlbByPage: true).IsOk);
        TableEvent[] expected =
        [
            W(Page(0xa000, uncached).Bits, Page(0xa000, MappingFlags.None).Bits), new(EventKind.FlushPage, 0x1000),
            W(Page(0xb000, device).Bits, Page(0xb000, MappingFlags.None).Bits), new(EventKind.FlushPage, 0x2000),
        ];
        Assert.Equal(expected, Strip(_events));
    }

    [Fact]
    public void CopyFromOnATableThatIsNotLiveWritesTheNewEntriesInPlace()
    {
        using var other = PageTable64<Observed<TInner>, TPte, ObservedHandler>.TryCreate(new ObservedHandler(_arena)).Value;
        _table.Live = false;
        Assert.True(_table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Assert.True(other.Map(new VirtAddr(0x1000), new PhysAddr(0xb000), PageSize.Size4K, R).IsOk);
        Record();
        Assert.True(_table.CopyFrom(other, new VirtAddr(0), K4).IsOk);
        Assert.DoesNotContain(_events, e => e.Kind is EventKind.FlushAll or EventKind.FlushPage || (e.Kind == EventKind.Write && e.New == 0));
        Assert.Equal(EventKind.Write, _events[0].Kind); // the slot's new entry first, then the old tables go
        Assert.Equal(TInner.Levels - 1, _events.Count(e => e.Kind == EventKind.Free));
    }

    [Fact]
    public void ARegionProtectBreaksEachPageWhoseMemoryTypeChanges()
    {
        Assert.True(_table.MapRegion(new VirtAddr(0x1000), new PhysAddr(0x9000), 2 * K4, R, false, false).IsOk);
        Record();
        Assert.True(_table.ProtectRegion(new VirtAddr(0x1000), 2 * K4, R | MappingFlags.Uncached, flushTlbByPage: true).IsOk);
        var flushes = _events.Where(e => e.Kind == EventKind.FlushPage).Select(e => e.Address).ToList();
        bool typeChanges = Page(0, R).Bits != Page(0, R | MappingFlags.Uncached).Bits;
        ulong[] expected = Bbm && typeChanges ? [0x1000, 0x1000, 0x2000, 0x2000] : [0x1000, 0x2000];
        Assert.Equal(expected, flushes);
        Assert.Equal(Bbm && typeChanges ? 4 : 2, _events.Count(e => e.Kind == EventKind.Write));
    }

    [Fact]
    public void AnUnmapThatEmptiesTablesUnlinksThemThenInvalidatesThenFreesThem()
    {
        Assert.True(_table.Map(new VirtAddr(M2), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        ulong leafTable = LeafTableOf(M2);
        Record();
        Assert.True(_table.Unmap(new VirtAddr(M2)).IsOk);
        int tables = TInner.Levels - 1; // every table below the root held only this page
        var expected = Enumerable.Repeat(EventKind.Write, tables + 1).Append(EventKind.FlushAll).Concat(Enumerable.Repeat(EventKind.Free, tables));
        Assert.Equal(expected, _events.Select(e => e.Kind));
        Assert.All(_events.Where(e => e.Kind == EventKind.Write), e => Assert.Equal(0UL, e.New)); // unlinked
        Assert.Equal(leafTable, _events.First(e => e.Kind == EventKind.Free).Address);       // the deepest first
        Assert.Equal(1, _arena.InUse);                                                      // the root alone
    }

    [Fact]
    public void ARegionUnmapFreesItsEmptiedTablesInBatchesEachAfterOneWholeFlush()
    {
        // 65 last-level tables (130 MiB of 4K pages) and the tables above them: more than one batch of 64.
        const ulong bytes = 65 * M2;
        using var arena = new FrameArena(new PhysAddr(0x4000_0000), 128);
        using var table = PageTable64<Observed<TInner>, TPte, ObservedHandler>.TryCreate(new ObservedHandler(arena)).Value;
        Assert.True(table.MapRegion(new VirtAddr(0), new PhysAddr(0), bytes, R, false, false).IsOk);
        int tables = arena.InUse - 1;
        _events = EventLog.Start(arena);
        Assert.True(table.UnmapRegion(new VirtAddr(0), bytes, flushTlbByPage: false).IsOk);
        Assert.Equal(1, arena.InUse);
        Assert.Equal(tables, _events.Count(e => e.Kind == EventKind.Free));
        Assert.Equal(2, _events.Count(e => e.Kind == EventKind.FlushAll)); // 64 tables, then the rest
        int firstFlush = _events.FindIndex(e => e.Kind == EventKind.FlushAll);
        Assert.Equal(64, _events.Skip(firstFlush).TakeWhile(e => e.Kind != EventKind.Write).Count(e => e.Kind == EventKind.Free));
        Assert.DoesNotContain(_events.Take(firstFlush), e => e.Kind == EventKind.Free);
    }

    [Fact]
    public void OnATableThatIsNotLiveTheEmptiedTablesAreFreedWithoutAFlush()
    {
        _table.Live = false;
        Assert.True(_table.Map(new VirtAddr(M2), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Record();
        Assert.True(_table.Unmap(new VirtAddr(M2)).IsOk);
        int tables = TInner.Levels - 1;
        Assert.Equal(Enumerable.Repeat(EventKind.Write, tables + 1).Concat(Enumerable.Repeat(EventKind.Free, tables)), _events.Select(e => e.Kind));
    }

    [Fact]
    public void AFailedMapGivesBackTheTablesItAllocated()
    {
        using var small = new FrameArena(new PhysAddr(0x4000_0000), 2); // the root and one table: the walk runs out
        using var table = PageTable64<Observed<TInner>, TPte, ObservedHandler>.TryCreate(new ObservedHandler(small)).Value;
        _events = EventLog.Start(small);
        Assert.Equal(PagingError.NoMemory, table.Map(new VirtAddr(M2), new PhysAddr(0x9000), PageSize.Size4K, R).Error);
        Assert.Equal([EventKind.Alloc, EventKind.Write, EventKind.Write, EventKind.FlushAll, EventKind.Free], _events.Select(e => e.Kind));
        Assert.Equal(1, small.InUse);
    }

    [Fact]
    public void CopyFromClearsEverySlotItReplacesThenInvalidatesOnceThenFrees()
    {
        using var other = PageTable64<Observed<TInner>, TPte, ObservedHandler>.TryCreate(new ObservedHandler(_arena)).Value;
        ulong span = 1UL << (12 + 9 * (TInner.Levels - 1));
        Assert.True(_table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Assert.True(_table.Map(new VirtAddr(span + 0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Assert.True(other.Map(new VirtAddr(0x1000), new PhysAddr(0xb000), PageSize.Size4K, R).IsOk);
        Record();
        Assert.True(_table.CopyFrom(other, new VirtAddr(0), 2 * span).IsOk);
        int flush = _events.FindIndex(e => e.Kind == EventKind.FlushAll);
        Assert.Equal(1, _events.Count(e => e.Kind == EventKind.FlushAll));
        Assert.Equal(2, _events.Take(flush).Count(e => e.Kind == EventKind.Write && e.New == 0)); // both slots cleared first
        Assert.DoesNotContain(_events.Take(flush), e => e.Kind == EventKind.Free);
        Assert.Equal(2 * (TInner.Levels - 1), _events.Skip(flush).Count(e => e.Kind == EventKind.Free)); // both subtrees, after
        int firstFree = _events.FindIndex(e => e.Kind == EventKind.Free);
        Assert.Equal(EventKind.Write, _events[firstFree - 1].Kind); // the slot got its new entry before its old tables went
        Assert.NotEqual(0UL, _events[firstFree - 1].New);
        Assert.Equal(new PhysAddr(0xb000), _table.Query(new VirtAddr(0x1000)).Value.Paddr);
    }

    [Fact]
    public void AFailedRegionMapInvalidatesThePagesItTookBack()
    {
        Assert.True(_table.Map(new VirtAddr(0x3000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Record();
        Assert.Equal(PagingError.AlreadyMapped, _table.MapRegion(new VirtAddr(0x1000), new PhysAddr(0x1000), 3 * K4, R, false, false).Error);
        Assert.Equal([0x1000UL, 0x2000UL], _events.Where(e => e.Kind == EventKind.FlushPage).Select(e => e.Address));
        Assert.Equal(4, _events.Count(e => e.Kind == EventKind.Write)); // two pages written, two cleared
        int firstFlush = _events.FindIndex(e => e.Kind == EventKind.FlushPage);
        Assert.True(_events.Take(firstFlush).Count(e => e.Kind == EventKind.Write && e.New == 0) >= 1); // cleared before invalidated

        _table.Live = false;
        Record();
        Assert.Equal(PagingError.AlreadyMapped, _table.MapRegion(new VirtAddr(0x1000), new PhysAddr(0x1000), 3 * K4, R, false, false).Error);
        Assert.DoesNotContain(_events, e => e.Kind is EventKind.FlushPage or EventKind.FlushAll);
    }

    [Fact]
    public void ReadsWriteNothing()
    {
        Assert.True(_table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Record();
        Assert.True(_table.Query(new VirtAddr(0x1000)).IsOk);
        _table.Walk(int.MaxValue, (_, _, _, _) => { }, null);
        Assert.Empty(_events);
    }

    /// <summary>The frame of the last-level table that holds <paramref name="va"/>'s entry.</summary>
    private ulong LeafTableOf(ulong va)
    {
        ulong frame = 0;
        _table.Walk(int.MaxValue, (level, _, v, e) =>
        {
            if (level == TInner.Levels - 2 && v.Value == (va & ~(M2 - 1))) frame = e.Paddr.Value;
        }, null);
        Assert.NotEqual(0UL, frame);
        return frame;
    }

    private static TableEvent W(ulong oldBits, ulong newBits) => new(EventKind.Write, 0, oldBits, newBits);

    /// <summary>The events with write addresses dropped (the tests compare what was written and in which order).</summary>
    private static List<TableEvent> Strip(List<TableEvent> events) =>
        events.Select(e => e.Kind == EventKind.Write ? e with { Address = 0 } : e).ToList();
}

public sealed class X64FlushOrderTests : FlushOrderTests<X64PagingMetaData, X64Pte>;

public sealed class A64FlushOrderTests : FlushOrderTests<A64PagingMetaData, A64Pte>;

public sealed class Sv39FlushOrderTests : FlushOrderTests<Sv39PagingMetaData, RiscVPte>;

public sealed class Sv48FlushOrderTests : FlushOrderTests<Sv48PagingMetaData, RiscVPte>;

public sealed class La64FlushOrderTests : FlushOrderTests<La64PagingMetaData, La64Pte>;
