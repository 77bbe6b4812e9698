using Xunit;

namespace PageTableMultiarch.Properties.Safety;

/// <summary>
/// Misuse through the public API, as a new user would try it: each case is a probe that once crashed the process,
/// corrupted a table or leaked frames. Every case now gets a managed exception or an error value, the tables stay
/// consistent, and every frame comes back. One suite, run for each architecture.
/// </summary>
public abstract class SafetyTests<TMeta, TPte>
    where TMeta : struct, IPagingMetaData
    where TPte : unmanaged, IGenericPte<TPte>
{
    private const MappingFlags R = MappingFlags.Read, RW = MappingFlags.Read | MappingFlags.Write;
    private const ulong K4 = 0x1000, M2 = 0x20_0000, G1 = 0x4000_0000;

    private static PageTable64<TMeta, TPte, ArenaHandler> Create(FrameArena arena) =>
        PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(arena)).Value;

    private static FrameArena NewArena(int frames = 64) => new(new PhysAddr(0x8000_0000), frames);

    private static List<(ulong Va, ulong Pa, MappingFlags Flags)> Leaves(PageTable64<TMeta, TPte, ArenaHandler> table)
    {
        var leaves = new List<(ulong, ulong, MappingFlags)>();
        table.Walk(int.MaxValue, (level, _, va, e) =>
        {
            if (level == TMeta.Levels - 1 || e.IsHuge) leaves.Add((va.Value, e.Paddr.Value, e.Flags));
        }, null);
        return leaves;
    }

    // ---- a disposed arena ------------------------------------------------------------------------

    [Fact]
    public void ATableWhoseArenaWasDisposedRefusesEveryOperationAndItsDisposeFreesNothing()
    {
        var arena = NewArena();
        var table = Create(arena);
        Assert.True(table.Map(new VirtAddr(0x1000), new PhysAddr(0x5000), PageSize.Size4K, R).IsOk);
        var other = Create(arena);
        arena.Dispose();

        Assert.Throws<ObjectDisposedException>(() => table.Query(new VirtAddr(0x1000)));
        Assert.Throws<ObjectDisposedException>(() => table.Map(new VirtAddr(0x2000), new PhysAddr(0x6000), PageSize.Size4K, R));
        Assert.Throws<ObjectDisposedException>(() => table.Unmap(new VirtAddr(0x1000)));
        Assert.Throws<ObjectDisposedException>(() => table.Protect(new VirtAddr(0x1000), RW));
        Assert.Throws<ObjectDisposedException>(() => table.Remap(new VirtAddr(0x1000), new PhysAddr(0x7000), R));
        Assert.Throws<ObjectDisposedException>(() => table.MapRegion(new VirtAddr(0x10_0000), new PhysAddr(0), 2 * K4, R, false, false));
        Assert.Throws<ObjectDisposedException>(() => table.MapRegion(new VirtAddr(0x10_0000), v => new PhysAddr(v.Value), 2 * K4, R, false, false));
        Assert.Throws<ObjectDisposedException>(() => table.UnmapRegion(new VirtAddr(0x1000), K4, false));
        Assert.Throws<ObjectDisposedException>(() => table.ProtectRegion(new VirtAddr(0x1000), K4, RW, false));
        Assert.Throws<ObjectDisposedException>(() => table.Walk(int.MaxValue, (_, _, _, _) => { }, null));
        Assert.Throws<ObjectDisposedException>(() => table.CopyFrom(other, new VirtAddr(0), K4));
        Assert.Throws<ObjectDisposedException>(() => PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(arena)));

        // Errors found before memory is touched are still reported as such.
        Assert.Equal(PagingError.NotAligned, table.Map(new VirtAddr(0x1001), new PhysAddr(0), PageSize.Size4K, R).Error);

        table.Dispose();
        other.Dispose();
        Assert.True(table.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => table.Query(new VirtAddr(0x1000)));
    }

    // ---- a corrupted table pointer ---------------------------------------------------------------

    [Fact]
    public void QueryRefusesATablePointerOutsideTheArenaAtEveryLevel()
    {
        using var arena = NewArena();
        using var table = Create(arena);
        ulong va = G1 + M2 + K4 + 0x123;
        Assert.True(table.Map(new VirtAddr(va & ~(K4 - 1)), new PhysAddr(0x5000), PageSize.Size4K, R).IsOk);
        for (int level = 0; level < TMeta.Levels - 1; level++)
        {
            PhysAddr slot = TableMemory.EntryAddress<TPte>(arena, table.RootPaddr, va, TMeta.Levels, level);
            ulong good = arena.ReadUInt64(slot);
            // Just past the last frame, and the frame just below the first: both refused, as PhysToHost refuses them.
            foreach (ulong outside in new[] { arena.EndPaddr.Value, arena.BasePaddr.Value - K4 })
            {
                arena.WriteUInt64(slot, TPte.NewTable(new PhysAddr(outside)).Bits);
                Assert.Throws<ArgumentOutOfRangeException>(() => table.Query(new VirtAddr(va)));
            }
            // The last frame and the first are inside: followed (the last is all zeros, the first is the root itself).
            arena.WriteUInt64(slot, TPte.NewTable(new PhysAddr(arena.EndPaddr.Value - K4)).Bits);
            Assert.Equal(PagingError.NotMapped, table.Query(new VirtAddr(va)).Error);
            arena.WriteUInt64(slot, TPte.NewTable(arena.BasePaddr).Bits);
            _ = table.Query(new VirtAddr(va)); // whatever the root's entries mean one level lower: no exception
            arena.WriteUInt64(slot, good);
            Assert.Equal(new PhysAddr(0x5123), table.Query(new VirtAddr(va)).Value.Paddr);
        }
    }

    // ---- slot indexes ----------------------------------------------------------------------------

    [Theory]
    [InlineData(int.MinValue)]
    [InlineData(-1)]
    [InlineData(512)]
    [InlineData(int.MaxValue)]
    public void SlotQueriesRefuseIndexesOutsideTheRoot(int index)
    {
        using var arena = NewArena();
        using var table = Create(arena);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.IsBorrowedSlot(index));
        Assert.StartsWith("A root slot index is in [0, 512).", Assert.Throws<ArgumentOutOfRangeException>(() => table.IsLentSlot(index)).Message, StringComparison.Ordinal);
        Assert.False(table.IsBorrowedSlot(0));
        Assert.False(table.IsBorrowedSlot(511));
        Assert.False(table.IsLentSlot(511));
    }

    // ---- throwing and re-entrant callbacks ----------------------------------------------------------

    public static TheoryData<ulong, ulong, int> ThrowingSteps => new()
    {
        // region start, region size, index of the getPaddr call that throws
        { 0x40_0000, 16 * K4, 0 },
        { 0x40_0000, 16 * K4, 7 },
        { 0x40_0000, 3 * M2, 2 },       // after two 2M steps
        { 0x40_0000 - K4, 2 * M2, 513 }, // after 4K steps and one 2M step
        { G1, 2 * G1 + M2, 2 },         // after two 1G steps (4-level tables) or 1G steps on Sv39's root
    };

    [Theory]
    [MemberData(nameof(ThrowingSteps))]
    public void AThrowingCallbackLeavesTheTableAsItWasAndTheExceptionGoesOn(ulong start, ulong size, int throwAt)
    {
        using var arena = NewArena();
        using var table = Create(arena);
        Assert.True(table.Map(new VirtAddr(0x1_0000_7000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk); // beyond every region
        var before = Leaves(table);
        int calls = 0;
        var thrown = Assert.Throws<TimeoutException>(() => table.MapRegion(new VirtAddr(start), v =>
        {
            if (calls++ == throwAt) throw new TimeoutException("from the callback");
            return new PhysAddr(v.Value - start + 0x4000_0000);
        }, size, RW, allowHuge: true, flushTlbByPage: false));
        Assert.Equal("from the callback", thrown.Message);
        Assert.Equal(throwAt + 1, calls);
        Assert.Equal(before, Leaves(table));
        Assert.Equal(PagingError.NotMapped, table.Query(new VirtAddr(start)).Error);

        // The table is usable again: the same region maps in full.
        Assert.True(table.MapRegion(new VirtAddr(start), v => new PhysAddr(v.Value - start + 0x4000_0000), size, RW, true, false).IsOk);
        Assert.Equal(new PhysAddr(0x4000_0000), table.Query(new VirtAddr(start)).Value.Paddr);
    }

    [Fact]
    public void ACallbackMayReadButNotChangeTheTableItIsMapping()
    {
        using var arena = NewArena();
        using var table = Create(arena);
        using var other = Create(arena);
        Assert.True(table.Map(new VirtAddr(0x7000_0000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        var refused = new List<Type>();
        ulong queried = 0;

        void Try(Action action)
        {
            try { action(); }
            catch (InvalidOperationException e)
            {
                Assert.StartsWith(typeof(PageTable64<TMeta, TPte, ArenaHandler>).Name + " is in the middle of an operation that called back into caller code", e.Message, StringComparison.Ordinal);
                Assert.Contains("cannot be changed or disposed until that operation returns", e.Message, StringComparison.Ordinal);
                refused.Add(e.GetType());
            }
        }

        var result = table.MapRegion(new VirtAddr(0x10_0000), v =>
        {
            if (v.Value == 0x10_1000)
            {
                queried = table.Query(new VirtAddr(0x10_0000)).Value.Paddr.Value; // reads are fine
                Try(() => table.Map(new VirtAddr(0x20_0000), new PhysAddr(0), PageSize.Size4K, R));
                Try(() => table.Unmap(new VirtAddr(0x7000_0000)));
                Try(() => table.Protect(new VirtAddr(0x7000_0000), RW));
                Try(() => table.Remap(new VirtAddr(0x7000_0000), new PhysAddr(0), R));
                Try(() => table.MapRegion(new VirtAddr(0x30_0000), new PhysAddr(0), K4, R, false, false));
                Try(() => table.UnmapRegion(new VirtAddr(0x7000_0000), K4, false));
                Try(() => table.ProtectRegion(new VirtAddr(0x7000_0000), K4, RW, false));
                Try(() => table.CopyFrom(other, new VirtAddr(0), K4));
                Try(() => table.Dispose());
                Try(() => table.Walk(1, (_, _, _, _) => table.Unmap(new VirtAddr(0x7000_0000)), null));
                Assert.True(other.Map(new VirtAddr(0x1000), new PhysAddr(0), PageSize.Size4K, R).IsOk); // another table is free
            }
            return new PhysAddr(v.Value);
        }, 4 * K4, R, false, false);

        Assert.True(result.IsOk);
        Assert.Equal(0x10_0000UL, queried);
        Assert.Equal(10, refused.Count);
        Assert.False(table.IsDisposed);
        Assert.Equal(new PhysAddr(0x9000), table.Query(new VirtAddr(0x7000_0000)).Value.Paddr);
        Assert.True(table.Map(new VirtAddr(0x20_0000), new PhysAddr(0), PageSize.Size4K, R).IsOk); // writable again
    }

    [Fact]
    public void AWalkVisitorMayReadButNotChangeTheTable()
    {
        using var arena = NewArena();
        using var table = Create(arena);
        Assert.True(table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        int nested = 0;
        Assert.Throws<InvalidOperationException>(() => table.Walk(int.MaxValue, (level, _, _, _) =>
        {
            table.Walk(int.MaxValue, (_, _, _, _) => nested++, null); // a nested walk is a read
            if (level == TMeta.Levels - 1) table.Unmap(new VirtAddr(0x1000));
        }, null));
        Assert.True(nested > 0);
        Assert.True(table.Unmap(new VirtAddr(0x1000)).IsOk); // the failed walk left the table writable
    }

    [Fact]
    public void ACallbackThatDisposesTheArenaEndsTheOperationWithoutTouchingFreedMemory()
    {
        var arena = NewArena();
        var table = Create(arena);
        var e = Assert.Throws<ObjectDisposedException>(() => table.MapRegion(new VirtAddr(0x10_0000), v =>
        {
            if (v.Value == 0x10_2000) arena.Dispose();
            return new PhysAddr(v.Value);
        }, 8 * K4, R, false, false));
        Assert.Contains("'s memory", e.ObjectName, StringComparison.Ordinal); // refused by the table before it touched memory
        table.Dispose();

        var arena2 = NewArena();
        var walked = Create(arena2);
        Assert.True(walked.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Assert.True(walked.Map(new VirtAddr(0x2000), new PhysAddr(0xa000), PageSize.Size4K, R).IsOk);
        Assert.Throws<ObjectDisposedException>(() => walked.Walk(int.MaxValue, (_, _, _, _) => arena2.Dispose(), null));
        walked.Dispose();

        var arena3 = NewArena();
        var postWalked = Create(arena3);
        Assert.True(postWalked.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Assert.True(postWalked.Map(new VirtAddr(0x2000), new PhysAddr(0xa000), PageSize.Size4K, R).IsOk);
        int posts = 0;
        var afterPost = Assert.Throws<ObjectDisposedException>(() => postWalked.Walk(int.MaxValue, null, (_, _, _, _) =>
        {
            posts++;
            arena3.Dispose();
        }));
        Assert.Equal(1, posts); // the walk stopped right after the visitor that released the memory
        Assert.Contains("'s memory", afterPost.ObjectName, StringComparison.Ordinal);
        postWalked.Dispose();
    }

    // ---- CopyFrom ownership ------------------------------------------------------------------------

    [Fact]
    public void MutualCopyIsRefusedAndNoTableIsFreedUnderABorrower()
    {
        using var arena = NewArena();
        var a = Create(arena);
        var b = Create(arena);
        Assert.True(b.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Assert.True(a.CopyFrom(b, new VirtAddr(0), K4).IsOk);
        Assert.True(b.IsLentSlot(0));
        Assert.True(a.IsBorrowedSlot(0));

        Assert.Equal(PagingError.LentEntry, b.CopyFrom(a, new VirtAddr(0), K4).Error); // back into the source
        Assert.Equal(new PhysAddr(0x9000), a.Query(new VirtAddr(0x1000)).Value.Paddr);

        // The owner goes first: the shared tables stay for the borrower, and a new table gets other frames.
        int inUseWithB = arena.InUse;
        b.Dispose();
        Assert.Equal(inUseWithB - 1, arena.InUse); // only b's root went
        using (var c = Create(arena))
        {
            Assert.True(c.Map(new VirtAddr(0x1000), new PhysAddr(0xc000), PageSize.Size4K, R).IsOk);
            Assert.Equal(new PhysAddr(0x9000), a.Query(new VirtAddr(0x1000)).Value.Paddr);
        }
        a.Dispose();
        Assert.Equal(0, arena.InUse);
    }

    [Fact]
    public void ChainedCopiesShareOneSubtreeAndACycleIsRefused()
    {
        using var arena = NewArena();
        var a = Create(arena);
        var b = Create(arena);
        var c = Create(arena);
        Assert.True(b.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Assert.True(a.CopyFrom(b, new VirtAddr(0), K4).IsOk);  // A from B
        Assert.True(c.CopyFrom(a, new VirtAddr(0), K4).IsOk);  // C from A: the same subtree
        Assert.Equal(PagingError.LentEntry, b.CopyFrom(c, new VirtAddr(0), K4).Error); // B from C closes the cycle

        // Changes the owner makes inside the shared subtree show through both borrowers.
        Assert.True(b.Map(new VirtAddr(0x2000), new PhysAddr(0xa000), PageSize.Size4K, R).IsOk);
        Assert.Equal(new PhysAddr(0xa000), c.Query(new VirtAddr(0x2000)).Value.Paddr);

        a.Dispose();
        Assert.True(b.IsLentSlot(0)); // still lent to C
        b.Dispose();
        Assert.Equal(new PhysAddr(0xa000), c.Query(new VirtAddr(0x2000)).Value.Paddr);
        c.Dispose();
        Assert.Equal(0, arena.InUse);
    }

    [Fact]
    public void CopyingIntoABorrowedSlotLetsGoOfTheOldSubtree()
    {
        using var arena = NewArena();
        var a = Create(arena);
        var b = Create(arena);
        var c = Create(arena);
        Assert.True(b.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Assert.True(c.Map(new VirtAddr(0x1000), new PhysAddr(0xb000), PageSize.Size4K, R).IsOk);
        Assert.True(a.CopyFrom(b, new VirtAddr(0), K4).IsOk);
        b.Dispose(); // a is now the last holder of b's subtree
        int inUse = arena.InUse;
        Assert.True(a.CopyFrom(c, new VirtAddr(0), K4).IsOk);
        Assert.True(arena.InUse < inUse); // b's orphaned tables were freed by letting go of them
        Assert.Equal(new PhysAddr(0xb000), a.Query(new VirtAddr(0x1000)).Value.Paddr);
        Assert.True(a.CopyFrom(c, new VirtAddr(0), K4).IsOk); // again: same subtree, nothing freed
        Assert.Equal(new PhysAddr(0xb000), a.Query(new VirtAddr(0x1000)).Value.Paddr);
        a.Dispose();
        c.Dispose();
        Assert.Equal(0, arena.InUse);
    }

    [Fact]
    public void ASplitInsideALentSubtreeShowsThroughTheBorrower()
    {
        using var arena = NewArena();
        var owner = Create(arena);
        var borrower = Create(arena);
        Assert.True(owner.Map(new VirtAddr(M2), new PhysAddr(G1), PageSize.Size2M, RW).IsOk);
        Assert.True(borrower.CopyFrom(owner, new VirtAddr(0), K4).IsOk);
        Assert.Equal(PagingError.BorrowedEntry, borrower.UnmapRegion(new VirtAddr(M2 + K4), K4, false).Error);
        Assert.Equal(PageSize.Size2M, borrower.Query(new VirtAddr(M2 + K4)).Value.Size);
        Assert.True(owner.UnmapRegion(new VirtAddr(M2 + K4), K4, false).IsOk); // a change inside a lent slot: allowed
        Assert.Equal(PagingError.NotMapped, borrower.Query(new VirtAddr(M2 + K4)).Error);
        Assert.Equal((new PhysAddr(G1), RW, PageSize.Size4K), borrower.Query(new VirtAddr(M2)).Value);
        owner.Dispose();
        Assert.Equal((new PhysAddr(G1 + 2 * K4), RW, PageSize.Size4K), borrower.Query(new VirtAddr(M2 + 2 * K4)).Value);
        borrower.Dispose();
        Assert.Equal(0, arena.InUse);
    }

    [Fact]
    public void ALentRootSlotKeepsItsTableUnderARootLevelHugePage()
    {
        // Only Sv39 has leaves (1G) in the root table; elsewhere the same call maps a 1G page one level down.
        using var arena = NewArena();
        var owner = Create(arena);
        var borrower = Create(arena);
        Assert.True(owner.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Assert.True(borrower.CopyFrom(owner, new VirtAddr(0), K4).IsOk);
        Assert.True(owner.Unmap(new VirtAddr(0x1000)).IsOk); // the lent slot's top table stays, mapping nothing
        Assert.True(owner.IsLentSlot(0));
        var huge = owner.Map(new VirtAddr(0), new PhysAddr(0), PageSize.Size1G, R);
        if (TMeta.Levels == 3)
        {
            Assert.Equal(PagingError.LentEntry, huge.Error);
            borrower.Dispose();
            Assert.True(owner.Map(new VirtAddr(0), new PhysAddr(0), PageSize.Size1G, R).IsOk); // no borrower left
        }
        else
        {
            Assert.True(huge.IsOk);
            borrower.Dispose();
        }
        owner.Dispose();
        Assert.Equal(0, arena.InUse);
    }

    // ---- the physical width --------------------------------------------------------------------------

    [Fact]
    public void AnArenaBeyondThePhysicalWidthIsRefused()
    {
        ulong limit = 1UL << TMeta.PaMaxBits;
        using (var above = new FrameArena(new PhysAddr(limit), 4))
            Assert.Equal(PagingError.InvalidPhysAddr, PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(above)).Error);
        using (var straddling = new FrameArena(new PhysAddr(limit - 2 * K4), 4))
        {
            Assert.Equal(PagingError.InvalidPhysAddr, PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(straddling)).Error);
            Assert.Equal(0, straddling.InUse);
        }
        using var below = new FrameArena(new PhysAddr(limit - 4 * K4), 4); // ends exactly at the limit
        using var table = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(below)).Value;
        Assert.True(table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);
        Assert.Equal(new PhysAddr(0x9000), table.Query(new VirtAddr(0x1000)).Value.Paddr);
    }

    [Fact]
    public void AHandlerThatGivesAnUnusableFrameGetsItBackAndTheMapFails()
    {
        ulong limit = 1UL << TMeta.PaMaxBits;
        using var good = new FrameArena(new PhysAddr(0x8000_0000), 8);
        using var bad = new FrameArena(new PhysAddr(limit), 8);
        var handler = new SwitchingHandler(good, bad);
        var table = PageTable64<TMeta, TPte, SwitchingHandler>.TryCreate(handler).Value;
        handler.UseSecond.Value = true;
        Assert.Equal(PagingError.InvalidPhysAddr, table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).Error);
        Assert.Equal(0, bad.InUse);
        Assert.Equal(PagingError.NotMapped, table.Query(new VirtAddr(0x1000)).Error);
        Assert.Equal(PagingError.InvalidPhysAddr, PageTable64<TMeta, TPte, SwitchingHandler>.TryCreate(handler).Error);
        handler.UseSecond.Value = false;
        Assert.True(table.Map(new VirtAddr(0x1000), new PhysAddr(0x9000), PageSize.Size4K, R).IsOk);

        // Half way down: the tables taken from the good arena before the bad frame came are given back.
        int before = good.InUse;
        handler.GoodFrames.Value = 1;
        handler.UseSecond.Value = true;
        ulong far = 1UL << (TMeta.VaMaxBits - 2); // another root slot: a new table at every level
        Assert.Equal(PagingError.InvalidPhysAddr, table.Map(new VirtAddr(far), new PhysAddr(0x9000), PageSize.Size4K, R).Error);
        Assert.Equal(before, good.InUse);
        Assert.Equal(0, bad.InUse);
        handler.UseSecond.Value = false;
        table.Dispose();
        Assert.Equal(0, good.InUse);
    }

    [Fact]
    public void ASplitThatGetsAnUnusableFrameGivesBackEveryFrameAndChangesNothing()
    {
        ulong limit = 1UL << TMeta.PaMaxBits;
        using var good = new FrameArena(new PhysAddr(0x8000_0000), 16);
        using var bad = new FrameArena(new PhysAddr(limit), 8);
        var handler = new SwitchingHandler(good, bad);
        var table = PageTable64<TMeta, TPte, SwitchingHandler>.TryCreate(handler).Value;
        Assert.True(table.Map(new VirtAddr(G1), new PhysAddr(0), PageSize.Size1G, RW).IsOk);
        int before = good.InUse;

        // The split of the 1G page needs two tables: the first frame is good, the second unusable.
        handler.GoodFrames.Value = 1;
        handler.UseSecond.Value = true;
        Assert.Equal(PagingError.InvalidPhysAddr, table.UnmapRegion(new VirtAddr(G1 + K4), K4, false).Error);
        Assert.Equal(before, good.InUse);
        Assert.Equal(0, bad.InUse);
        Assert.Equal((new PhysAddr(K4), RW, PageSize.Size1G), table.Query(new VirtAddr(G1 + K4)).Value);

        handler.UseSecond.Value = false;
        Assert.True(table.UnmapRegion(new VirtAddr(G1 + K4), K4, false).IsOk);
        Assert.Equal(before + 2, good.InUse);
        Assert.Equal((new PhysAddr(2 * K4), RW, PageSize.Size4K), table.Query(new VirtAddr(G1 + 2 * K4)).Value);
        table.Dispose();
        Assert.Equal(0, good.InUse);
    }

    // ---- handlers and arenas ---------------------------------------------------------------------------

    [Fact]
    public void TheDefaultArenaHandlerIsRefusedWithAMessage()
    {
        var e = Assert.Throws<InvalidOperationException>(() => PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(default));
        Assert.Contains("default", e.Message, StringComparison.Ordinal);
        Assert.True(default(ArenaHandler).IsMemoryReleased);
    }
}

/// <summary>Takes frames from one arena or, when told, from another (a handler that can give unusable frames).</summary>
public readonly unsafe struct SwitchingHandler(FrameArena first, FrameArena second) : IPagingHandler, IEquatable<SwitchingHandler>
{
    public System.Runtime.CompilerServices.StrongBox<bool> UseSecond { get; } = new(false);

    /// <summary>While <see cref="UseSecond"/> is set, this many frames still come from the first arena.</summary>
    public System.Runtime.CompilerServices.StrongBox<int> GoodFrames { get; } = new(0);

    public bool TryAllocFrame(out PhysAddr paddr)
    {
        if (UseSecond.Value && GoodFrames.Value > 0)
        {
            GoodFrames.Value--;
            return first.TryAllocFrame(out paddr);
        }
        return (UseSecond.Value ? second : first).TryAllocFrame(out paddr);
    }

    public void DeallocFrame(PhysAddr paddr) => (second.Contains(paddr) ? second : first).FreeFrame(paddr);

    public byte* PhysToHost(PhysAddr paddr) => (second.Contains(paddr) ? second : first).FramePointer(paddr);

    public bool IsMemoryReleased => first.IsDisposed || second.IsDisposed;

    public bool Equals(SwitchingHandler other) => ReferenceEquals(UseSecond, other.UseSecond);

    public override bool Equals(object? obj) => obj is SwitchingHandler h && Equals(h);

    public override int GetHashCode() => UseSecond.GetHashCode();
}

public sealed class X64SafetyTests : SafetyTests<X64PagingMetaData, X64Pte>;

public sealed class A64SafetyTests : SafetyTests<A64PagingMetaData, A64Pte>;

public sealed class Sv39SafetyTests : SafetyTests<Sv39PagingMetaData, RiscVPte>;

public sealed class Sv48SafetyTests : SafetyTests<Sv48PagingMetaData, RiscVPte>;

public sealed class La64SafetyTests : SafetyTests<La64PagingMetaData, La64Pte>;
