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
    private const ulong K4 = 0x1000, M2 = 0x20_0000, G1 = 0x4000_0000;

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

    // ---- split ----------------------------------------------------------------------------------------

    private static TPte Huge(ulong pa, MappingFlags flags) => TPte.NewPage(new PhysAddr(pa), flags, true);

    private static ulong Pointer(ulong frame) => TPte.NewTable(new PhysAddr(frame)).Bits;

    /// <summary>What linking a split table in place of the huge page at <paramref name="va"/> writes and flushes on a live table.</summary>
    private static TableEvent[] Link(ulong hugeBits, ulong frame, ulong va) => Bbm
        ? [W(hugeBits, 0), new(EventKind.FlushPage, va), W(0, Pointer(frame))]
        : [W(hugeBits, Pointer(frame)), new(EventKind.FlushPage, va)];

    [Fact]
    public void ASplitFillsTheNewTableThenLinksItInTheOrderTheArchitectureNeeds()
    {
        Assert.True(_table.Map(new VirtAddr(M2), new PhysAddr(G1), PageSize.Size2M, RW).IsOk);
        Record();
        Assert.True(_table.UnmapRegion(new VirtAddr(M2 + K4), K4, flushTlbByPage: false).IsOk);

        Assert.Equal(EventKind.Alloc, _events[0].Kind);
        ulong frame = _events[0].Address;
        var fill = _events.Skip(1).Take(512).ToList();
        Assert.All(fill, e => Assert.Equal((EventKind.Write, 0UL), (e.Kind, e.Old)));
        Assert.Equal(Enumerable.Range(0, 512).Select(i => frame + (ulong)i * 8), fill.Select(e => e.Address)); // the new table, entry by entry
        Assert.Equal(Enumerable.Range(0, 512).Select(i => Page(G1 + (ulong)i * K4, RW).Bits), fill.Select(e => e.New)); // the old frames, 4K apart
        var link = Link(Huge(G1, RW).Bits, frame, M2);
        Assert.Equal(link, Strip(_events.Skip(513).Take(link.Length).ToList()));
        Assert.Equal([W(Page(G1 + K4, RW).Bits, 0)], Strip(_events.Skip(513 + link.Length).ToList())); // then the unmap itself
        Assert.Equal((new PhysAddr(G1 + 2 * K4 + 5), RW, PageSize.Size4K), _table.Query(new VirtAddr(M2 + 2 * K4 + 5)).Value);
    }

    [Fact]
    public void ASplit1GPageGets2MPiecesAndOnlyTheCutPieceIsSplitAgainBeforeTheLink()
    {
        Assert.True(_table.Map(new VirtAddr(G1), new PhysAddr(2 * G1), PageSize.Size1G, RW).IsOk);
        Record();
        Assert.True(_table.ProtectRegion(new VirtAddr(G1 + M2 + K4), K4, R, flushTlbByPage: false).IsOk);

        Assert.Equal([EventKind.Alloc, EventKind.Alloc], _events.Take(2).Select(e => e.Kind));
        ulong top = _events[0].Address, sub = _events[1].Address;
        var expected = new List<TableEvent>();
        for (int i = 0; i < 512; i++)
        {
            if (i != 1) expected.Add(new(EventKind.Write, top + (ulong)i * 8, 0, Huge(2 * G1 + (ulong)i * M2, RW).Bits));
        }
        for (int i = 0; i < 512; i++) expected.Add(new(EventKind.Write, sub + (ulong)i * 8, 0, Page(2 * G1 + M2 + (ulong)i * K4, RW).Bits));
        expected.Add(new(EventKind.Write, top + 8, 0, Pointer(sub))); // the cut 2M piece, filled before it is pointed at
        Assert.Equal(expected, _events.Skip(2).Take(expected.Count).ToList());
        var link = Link(Huge(2 * G1, RW).Bits, top, G1);
        Assert.Equal(link, Strip(_events.Skip(2 + expected.Count).Take(link.Length).ToList()));
        Assert.Equal([W(Page(2 * G1 + M2 + K4, RW).Bits, Page(2 * G1 + M2 + K4, R).Bits)], Strip(_events.Skip(2 + expected.Count + link.Length).ToList()));
        Assert.Equal(PageSize.Size2M, _table.Query(new VirtAddr(G1)).Value.Size);
        Assert.Equal(PageSize.Size4K, _table.Query(new VirtAddr(G1 + M2)).Value.Size);
        Assert.Equal(PageSize.Size2M, _table.Query(new VirtAddr(G1 + 2 * M2)).Value.Size);
    }

    [Fact]
    public void APROT_NONEHugePageIsInvalidAlreadySoItsSplitLinksInPlaceOnEveryArchitectureThenInvalidates()
    {
        // The break of break-before-make makes the block invalid; a PROT_NONE block is invalid already (and RISC-V may
        // cache invalid entries, so the page is still invalidated after the link).
        MappingFlags none = MappingFlags.User;
        Assert.True(_table.Map(new VirtAddr(M2), new PhysAddr(G1), PageSize.Size2M, none).IsOk);
        Record();
        Assert.True(_table.ProtectRegion(new VirtAddr(M2 + K4), K4, RW, flushTlbByPage: false).IsOk);

        Assert.Equal(EventKind.Alloc, _events[0].Kind);
        ulong frame = _events[0].Address;
        var fill = _events.Skip(1).Take(512).ToList();
        Assert.Equal(Enumerable.Range(0, 512).Select(i => Page(G1 + (ulong)i * K4, none).Bits), fill.Select(e => e.New)); // PROT_NONE pieces, 4K apart
        TableEvent[] rest =
        [
            W(Huge(G1, none).Bits, Pointer(frame)), new(EventKind.FlushPage, M2),
            W(Page(G1 + K4, none).Bits, Page(G1 + K4, RW).Bits), // then the protection itself: no break either
        ];
        Assert.Equal(rest, Strip(_events.Skip(513).ToList()));
    }

    [Fact]
    public void OnATableThatIsNotLiveASplitLinksInPlaceAndFlushesNothing()
    {
        _table.Live = false;
        Assert.True(_table.Map(new VirtAddr(M2), new PhysAddr(G1), PageSize.Size2M, RW).IsOk);
        Record();
        Assert.True(_table.ProtectRegion(new VirtAddr(M2), K4, R, flushTlbByPage: false).IsOk);
        ulong frame = _events[0].Address;
        Assert.DoesNotContain(_events, e => e.Kind is EventKind.FlushPage or EventKind.FlushAll);
        Assert.Equal(W(Huge(G1, RW).Bits, Pointer(frame)), Strip(_events.Skip(513).Take(1).ToList())[0]);
        Assert.Equal(515, _events.Count); // the frame, 512 pieces, the link, the protection
    }

    [Fact]
    public void ASplitWithNoFrameForItsTableChangesNothing()
    {
        // Exactly the frames the 2M page needs: the root and the tables above the 2M level.
        using var small = new FrameArena(new PhysAddr(0x4000_0000), TInner.Levels - 1);
        using var table = PageTable64<Observed<TInner>, TPte, ObservedHandler>.TryCreate(new ObservedHandler(small)).Value;
        Assert.True(table.Map(new VirtAddr(M2), new PhysAddr(G1), PageSize.Size2M, RW).IsOk);
        _events = EventLog.Start(small);
        Assert.Equal(PagingError.NoMemory, table.UnmapRegion(new VirtAddr(M2), K4, flushTlbByPage: true).Error);
        Assert.Equal(PagingError.NoMemory, table.ProtectRegion(new VirtAddr(M2 + K4), M2 - K4, R, flushTlbByPage: true).Error);
        Assert.Equal(PagingError.NotMapped, table.ProtectRegion(new VirtAddr(M2 + K4), M2, R, flushTlbByPage: true).Error); // the hole first
        Assert.Empty(_events);
        Assert.Equal((new PhysAddr(G1 + K4), RW, PageSize.Size2M), table.Query(new VirtAddr(M2 + K4)).Value);
    }

    [Fact]
    public void ASplitThatGetsOnlySomeOfItsFramesGivesThemBackUnused()
    {
        // The 1G page's tables, and one frame more: the split needs two (2M pieces, and the 4K pieces of one of them).
        using var small = new FrameArena(new PhysAddr(0x4000_0000), TInner.Levels - 1);
        using var table = PageTable64<Observed<TInner>, TPte, ObservedHandler>.TryCreate(new ObservedHandler(small)).Value;
        Assert.True(table.Map(new VirtAddr(G1), new PhysAddr(0), PageSize.Size1G, RW).IsOk);
        Assert.Equal(TInner.Levels - 2, small.InUse);
        _events = EventLog.Start(small);
        Assert.Equal(PagingError.NoMemory, table.UnmapRegion(new VirtAddr(G1 + K4), K4, flushTlbByPage: false).Error);
        Assert.Equal([EventKind.Alloc, EventKind.Free], _events.Select(e => e.Kind));
        Assert.Equal(_events[0].Address, _events[1].Address);
        Assert.Equal(TInner.Levels - 2, small.InUse);
        Assert.Equal((new PhysAddr(K4), RW, PageSize.Size1G), table.Query(new VirtAddr(G1 + K4)).Value);

        // A 2M-aligned end needs only the table of 2M pieces: that one frame is enough.
        Assert.True(table.UnmapRegion(new VirtAddr(G1 + M2), M2, flushTlbByPage: false).IsOk);
        Assert.Equal(TInner.Levels - 1, small.InUse);
        Assert.Equal(PagingError.NotMapped, table.Query(new VirtAddr(G1 + M2)).Error);
        Assert.Equal((new PhysAddr(2 * M2), RW, PageSize.Size2M), table.Query(new VirtAddr(G1 + 2 * M2)).Value);
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
