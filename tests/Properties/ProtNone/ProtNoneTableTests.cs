using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using PageTableModel.Hardware;
using Xunit;

namespace PageTableMultiarch.Properties.ProtNone;

/// <summary>
/// PROT_NONE pages through every operation of the table, on each architecture: mapped in every size, found by
/// <c>Query</c> and <c>Walk</c>, given rights and deprived of them, moved, mapped and changed by regions, occupying their
/// place, removed and reclaimed, shared by <c>CopyFrom</c>, freed by <c>Dispose</c>, and invalid for the hardware in the
/// table's image. The expected flags are chosen so that every architecture reports them as given (docs/semantics.md,
/// "Effective flags").
/// </summary>
public abstract class ProtNoneTableTests<TMeta, TPte> : IDisposable
    where TMeta : struct, IPagingMetaData
    where TPte : unmanaged, IGenericPte<TPte>
{
    protected const ulong K4 = 0x1000, M2 = 0x20_0000, G1 = 0x4000_0000;
    protected const MappingFlags None = MappingFlags.None, User = MappingFlags.User;
    protected const MappingFlags RW = MappingFlags.Read | MappingFlags.Write;
    protected const MappingFlags RXU = MappingFlags.Read | MappingFlags.Execute | MappingFlags.User;

    /// <summary>1G-aligned, so the root is the first frame and a 1G page can start at the arena's base.</summary>
    protected const ulong ArenaBase = 0x4000_0000;

    protected readonly FrameArena Arena = new(new PhysAddr(ArenaBase), 64);
    protected readonly PageTable64<TMeta, TPte, ArenaHandler> Table;

    protected ProtNoneTableTests()
    {
        Table = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(Arena)).Value;
    }

    public void Dispose()
    {
        Table.Dispose();
        Arena.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The architecture's name, as the walkers know it.</summary>
    protected abstract string Name { get; }

    /// <summary>The image of <paramref name="table"/> (<see cref="TableImage.Of{TPte}(PageTable64{X64PagingMetaData, TPte, ArenaHandler})"/> and the like).</summary>
    protected abstract TableImage Image(PageTable64<TMeta, TPte, ArenaHandler> table);

    protected static int LevelOf(ulong size) => TMeta.Levels - 1 - (size == K4 ? 0 : size == M2 ? 1 : 2);

    protected static TPte FromBits(ulong bits) => Unsafe.As<ulong, TPte>(ref bits);

    /// <summary>The physical address of the entry for <paramref name="va"/> at <paramref name="level"/>, reached through
    /// table pointers only (read from the arena, not through the table).</summary>
    protected ulong EntryAddress(ulong va, int level)
    {
        ulong table = Table.RootPaddr.Value;
        for (int l = 0; ; l++)
        {
            ulong address = table + ((va >> (12 + 9 * (TMeta.Levels - 1 - l))) & 511) * 8;
            if (l == level) return address;
            TPte e = FromBits(Arena.ReadUInt64(new PhysAddr(address)));
            Assert.True(e.IsPresent && !e.IsHuge, $"no table at level {l} for 0x{va:x}");
            table = e.Paddr.Value;
        }
    }

    protected TPte EntryAt(ulong va, int level) => FromBits(Arena.ReadUInt64(new PhysAddr(EntryAddress(va, level))));

    /// <summary>The leaves <c>Walk</c> visits: level, address, entry.</summary>
    protected List<(int Level, ulong Va, TPte Entry)> WalkedLeaves(PageTable64<TMeta, TPte, ArenaHandler>? table = null)
    {
        var leaves = new List<(int, ulong, TPte)>();
        (table ?? Table).Walk(int.MaxValue, (level, _, va, e) =>
        {
            if (level == TMeta.Levels - 1 || e.IsHuge) leaves.Add((level, va.Value, e));
        }, null);
        return leaves;
    }

    protected (PhysAddr, MappingFlags, PageSize) Query(ulong va) => Table.Query(new VirtAddr(va)).Value;

    protected static (PhysAddr, MappingFlags, PageSize) At(ulong pa, MappingFlags flags, ulong size) => (new PhysAddr(pa), flags, (PageSize)size);

    [Fact]
    public void A_prot_none_page_of_every_size_is_mapped_found_walked_and_removed()
    {
        const MappingFlags kept = User | MappingFlags.Device | MappingFlags.Uncached;
        foreach (var (va, pa, size) in new[] { (0x4000_3000UL, 0x1234_5000UL, K4), (0x4060_0000UL, 0x1240_0000UL, M2), (0x8000_0000UL, 0xc000_0000UL, G1) })
        {
            Assert.True(Table.Map(new VirtAddr(va), new PhysAddr(pa), (PageSize)size, kept).IsOk);

            // Exactly the flags given: no Read implied (x86), no memory type dropped (RISC-V), Device keeps Uncached.
            Assert.Equal(At(pa + 0x123, kept, size), Query(va + 0x123));
            Assert.Equal(At(pa + size - 1, kept, size), Query(va + size - 1));
            TPte entry = EntryAt(va, LevelOf(size));
            Assert.False(entry.IsPresent);
            Assert.True(entry.IsProtNone);
            Assert.Equal(new PhysAddr(pa), entry.Paddr);
            if (size != K4) Assert.True(entry.IsHuge);
            var leaf = Assert.Single(WalkedLeaves());
            Assert.Equal((LevelOf(size), va), (leaf.Level, leaf.Va));
            Assert.Equal(kept, leaf.Entry.Flags);

            var removed = Table.Unmap(new VirtAddr(va)).Value;
            Assert.Equal((new PhysAddr(pa), (PageSize)size), (removed.Paddr, removed.Size));
            Assert.Equal(PagingError.NotMapped, Table.Query(new VirtAddr(va)).Error);
            Assert.Empty(WalkedLeaves());
            Assert.Equal(1, Arena.InUse); // every table the page needed is given back
        }
    }

    [Fact]
    public void Protect_takes_every_right_away_and_gives_them_back()
    {
        const ulong va = 0x4060_0000, pa = 0x1240_0000;
        Assert.True(Table.Map(new VirtAddr(va), new PhysAddr(pa), PageSize.Size2M, RW).IsOk);

        Assert.Equal(PageSize.Size2M, Table.Protect(new VirtAddr(va), None).Value.Size);
        Assert.Equal(At(pa, None, M2), Query(va));
        Assert.False(EntryAt(va, LevelOf(M2)).IsPresent);

        Assert.Equal(PageSize.Size2M, Table.Protect(new VirtAddr(va), RXU).Value.Size);
        Assert.Equal(At(pa, RXU, M2), Query(va));
        Assert.True(EntryAt(va, LevelOf(M2)).IsPresent);
        Assert.Equal(TPte.NewPage(new PhysAddr(pa), RXU, isHuge: true).Bits, EntryAt(va, LevelOf(M2)).Bits);
    }

    [Fact]
    public void Remap_moves_a_prot_none_page_and_can_give_it_rights()
    {
        const ulong va = 0x4000_5000;
        Assert.True(Table.Map(new VirtAddr(va), new PhysAddr(0x7000), PageSize.Size4K, None).IsOk);

        Assert.Equal(PageSize.Size4K, Table.Remap(new VirtAddr(va), new PhysAddr(0x8000), User).Value.Size);
        Assert.Equal(At(0x8000, User, K4), Query(va));
        Assert.Equal(PageSize.Size4K, Table.Remap(new VirtAddr(va), new PhysAddr(0x9000), RW).Value.Size);
        Assert.Equal(At(0x9000, RW, K4), Query(va));
        Assert.Equal(PageSize.Size4K, Table.Remap(new VirtAddr(va), new PhysAddr(0xa000), None).Value.Size);
        Assert.Equal(At(0xa000, None, K4), Query(va));
    }

    [Fact]
    public void Region_operations_map_change_and_remove_prot_none_pages()
    {
        const ulong va = 0x4000_0000, pa = 0x1000_0000;
        const int pages = 40; // one last-level table: all but the first page take the fast paths
        Assert.True(Table.MapRegion(new VirtAddr(va), new PhysAddr(pa), pages * K4, None, allowHuge: false, flushTlbByPage: false).IsOk);
        var leaves = WalkedLeaves();
        Assert.Equal(pages, leaves.Count);
        Assert.All(leaves, l => Assert.True(l.Entry.IsProtNone));
        Assert.Equal(At(pa + 39 * K4, None, K4), Query(va + 39 * K4));

        // A region map that meets a PROT_NONE page in the fast path fails there and takes its first page back.
        Assert.True(Table.Unmap(new VirtAddr(va + 10 * K4)).IsOk);
        Assert.Equal(PagingError.AlreadyMapped,
            Table.MapRegion(new VirtAddr(va + 10 * K4), v => new PhysAddr(v.Value), 3 * K4, RW, false, false).Error);
        Assert.Equal(PagingError.NotMapped, Table.Query(new VirtAddr(va + 10 * K4)).Error);
        Assert.Equal(At(pa + 11 * K4, None, K4), Query(va + 11 * K4));
        Assert.True(Table.MapRegion(new VirtAddr(va + 10 * K4), v => new PhysAddr(v.Value - va + pa), K4, None, false, false).IsOk);

        // The region scan accepts PROT_NONE pages as mappings, both ways.
        Assert.True(Table.ProtectRegion(new VirtAddr(va), pages * K4, RW, flushTlbByPage: true).IsOk);
        Assert.All(WalkedLeaves(), l => Assert.True(l.Entry.IsPresent));
        Assert.Equal(At(pa + 39 * K4, RW, K4), Query(va + 39 * K4));
        Assert.True(Table.ProtectRegion(new VirtAddr(va), pages * K4, User, flushTlbByPage: false).IsOk);
        Assert.All(WalkedLeaves(), l => Assert.Equal(User, l.Entry.Flags));

        Assert.True(Table.UnmapRegion(new VirtAddr(va), pages * K4, flushTlbByPage: false).IsOk);
        Assert.Empty(WalkedLeaves());
        Assert.Equal(1, Arena.InUse);
    }

    [Fact]
    public void A_region_map_writes_huge_prot_none_pages()
    {
        const ulong va = 0x4020_0000, pa = 0x1020_0000;
        Assert.True(Table.MapRegion(new VirtAddr(va), new PhysAddr(pa), M2 + K4, MappingFlags.Uncached, allowHuge: true, flushTlbByPage: false).IsOk);
        Assert.Equal(At(pa + M2 - 1, MappingFlags.Uncached, M2), Query(va + M2 - 1));
        Assert.Equal(At(pa + M2, MappingFlags.Uncached, K4), Query(va + M2));
        Assert.True(EntryAt(va, LevelOf(M2)).IsHuge);
        Assert.True(EntryAt(va, LevelOf(M2)).IsProtNone);
        Assert.Equal([(LevelOf(M2), va), (LevelOf(K4), va + M2)], WalkedLeaves().Select(l => (l.Level, l.Va)));
    }

    [Fact]
    public void A_prot_none_page_holds_its_place_against_every_other_mapping()
    {
        // A 4K PROT_NONE page: the table that holds it maps something.
        Assert.True(Table.Map(new VirtAddr(0x4020_1000), new PhysAddr(0x1000), PageSize.Size4K, None).IsOk);
        Assert.Equal(PagingError.AlreadyMapped, Table.Map(new VirtAddr(0x4020_1000), new PhysAddr(0x2000), PageSize.Size4K, RW).Error);
        Assert.Equal(PagingError.AlreadyMapped, Table.Map(new VirtAddr(0x4020_0000), new PhysAddr(0x20_0000), PageSize.Size2M, RW).Error);
        Assert.Equal(PagingError.AlreadyMapped, Table.Map(new VirtAddr(0x4000_0000), new PhysAddr(0x4000_0000), PageSize.Size1G, RW).Error);

        // A 2M PROT_NONE page covers its 4K pages.
        Assert.True(Table.Map(new VirtAddr(0x8040_0000), new PhysAddr(0x40_0000), PageSize.Size2M, None).IsOk);
        Assert.Equal(PagingError.MappedToHugePage, Table.Map(new VirtAddr(0x8040_1000), new PhysAddr(0x1000), PageSize.Size4K, RW).Error);
        Assert.Equal(PagingError.AlreadyMapped, Table.Map(new VirtAddr(0x8040_0000), new PhysAddr(0x20_0000), PageSize.Size2M, RW).Error);
        Assert.Equal(PagingError.MappedToHugePage, Table.Unmap(new VirtAddr(0x8040_1000)).Error);
        Assert.Equal(PagingError.MappedToHugePage, Table.Protect(new VirtAddr(0x8040_1000), RW).Error);
        Assert.Equal(PagingError.MappedToHugePage, Table.Remap(new VirtAddr(0x8040_1000), new PhysAddr(0x1000), RW).Error);
        Assert.Equal(PagingError.AlreadyMapped, Table.MapRegion(new VirtAddr(0x8040_0000), new PhysAddr(0), M2, RW, true, false).Error);
        Assert.Equal(At(0x40_0000, None, M2), Query(0x8040_0000));
        Assert.Equal(At(0x1000, None, K4), Query(0x4020_1000));

        // A region that cuts it splits it, as any huge page (docs/semantics.md, "Split"): the rest stays PROT_NONE.
        Assert.True(Table.UnmapRegion(new VirtAddr(0x8040_0000), K4, false).IsOk);
        Assert.Equal(PagingError.NotMapped, Table.Query(new VirtAddr(0x8040_0000)).Error);
        Assert.Equal(At(0x40_1000, None, K4), Query(0x8040_1000));
    }

    [Fact]
    public void Reclaim_keeps_the_tables_a_prot_none_page_needs()
    {
        Assert.True(Table.Map(new VirtAddr(0x4020_1000), new PhysAddr(0x1000), PageSize.Size4K, RW).IsOk);
        Assert.True(Table.Map(new VirtAddr(0x4020_2000), new PhysAddr(0x2000), PageSize.Size4K, None).IsOk);
        int held = Arena.InUse; // the root and one table per level below it
        Assert.Equal(TMeta.Levels, held);

        Assert.True(Table.Unmap(new VirtAddr(0x4020_1000)).IsOk);
        Assert.Equal(held, Arena.InUse);
        Assert.Equal(At(0x2000, None, K4), Query(0x4020_2000));
        Assert.True(Table.Unmap(new VirtAddr(0x4020_2000)).IsOk);
        Assert.Equal(1, Arena.InUse);
    }

    [Fact]
    public void CopyFrom_shares_prot_none_pages_and_Dispose_frees_every_table()
    {
        using var other = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(Arena)).Value;
        Assert.True(other.Map(new VirtAddr(0x4000_7000), new PhysAddr(0x7000), PageSize.Size4K, User).IsOk);
        Assert.True(other.Map(new VirtAddr(0x8000_0000), new PhysAddr(0xc000_0000), PageSize.Size1G, None).IsOk);
        Assert.True(Table.Map(new VirtAddr(0x4000_0000), new PhysAddr(0x8000_0000), PageSize.Size1G, None).IsOk);

        // Whole root slots are taken over: this table's own 1G PROT_NONE page goes (on Sv39 it is a root entry, and
        // no table is freed for it), the other table's pages show through.
        Assert.True(Table.CopyFrom(other, new VirtAddr(0x4000_0000), 2 * G1).IsOk);
        Assert.Equal(At(0x7123, User, K4), Query(0x4000_7123));
        Assert.Equal(At(0xc000_0000, None, G1), Query(0x8000_0000));
        Assert.Equal([(LevelOf(K4), 0x4000_7000UL), (LevelOf(G1), 0x8000_0000UL)], WalkedLeaves().Select(l => (l.Level, l.Va)));

        other.Dispose();
        Table.Dispose();
        Assert.Equal(0, Arena.InUse);
    }

    [Fact]
    public void Dispose_gives_back_every_frame_with_prot_none_pages_mapped()
    {
        Assert.True(Table.Map(new VirtAddr(0x4000_3000), new PhysAddr(0x3000), PageSize.Size4K, None).IsOk);
        Assert.True(Table.Map(new VirtAddr(0x4060_0000), new PhysAddr(0x60_0000), PageSize.Size2M, User).IsOk);
        Assert.True(Table.Map(new VirtAddr(0x8000_0000), new PhysAddr(ArenaBase), PageSize.Size1G, None).IsOk);
        Table.Dispose();
        Assert.Equal(0, Arena.InUse);
    }

    [Fact]
    public void The_image_of_a_table_holds_prot_none_pages_every_access_to_which_faults()
    {
        var pages = new[] { (0x4000_3000UL, 0x3000UL, K4), (0x4060_0000UL, 0x60_0000UL, M2), (0x8000_0000UL, 0xc000_0000UL, G1) };
        foreach (var (va, pa, size) in pages)
            Assert.True(Table.Map(new VirtAddr(va), new PhysAddr(pa), (PageSize)size, User).IsOk);
        TableImage image = Image(Table);
        var memory = new ImageMemory(image);
        IHardwareWalker walker = PageTableModel.Hardware.Walkers.For(Name);

        foreach (var (va, _, size) in pages)
            foreach (Access access in new[] { Access.Read, Access.Write, Access.Execute })
                foreach (Privilege privilege in new[] { Privilege.Supervisor, Privilege.User })
                {
                    WalkResult result = walker.Translate(memory, image.RootPaddr.Value, va + size / 2, access, privilege);
                    Assert.True(result.Fault is { InvalidEntry: true } fault && fault.Level == LevelOf(size), $"0x{va:x} {access} {privilege}: {result}");
                }
    }

    // ---- splits: a region that cuts a PROT_NONE huge page, or takes every right away from part of a huge page -------

    /// <summary>The walker's answer for <paramref name="va"/> in this table's image.</summary>
    private WalkResult Walked(ulong va, Access access, Privilege privilege)
    {
        TableImage image = Image(Table);
        return PageTableModel.Hardware.Walkers.For(Name).Translate(new ImageMemory(image), image.RootPaddr.Value, va, access, privilege);
    }

    /// <summary>Every access to <paramref name="va"/> faults at an invalid entry of <paramref name="level"/>.</summary>
    private void EveryAccessFaultsAt(ulong va, int level)
    {
        foreach (Access access in new[] { Access.Read, Access.Write, Access.Execute })
            foreach (Privilege privilege in new[] { Privilege.Supervisor, Privilege.User })
            {
                WalkResult result = Walked(va, access, privilege);
                Assert.True(result.Fault is { InvalidEntry: true } fault && fault.Level == level, $"0x{va:x} {access} {privilege}: {result}");
            }
    }

    [Fact]
    public void A_cut_prot_none_2M_page_becomes_prot_none_4K_pages_with_its_frames_and_flags()
    {
        const ulong va = 0x4060_0000, pa = 0x1240_0000;
        const MappingFlags kept = User | MappingFlags.Device | MappingFlags.Uncached;
        Assert.True(Table.Map(new VirtAddr(va), new PhysAddr(pa), PageSize.Size2M, kept).IsOk);
        int before = Arena.InUse;

        Assert.True(Table.UnmapRegion(new VirtAddr(va + 7 * K4), K4, flushTlbByPage: false).IsOk);
        Assert.Equal(before + 1, Arena.InUse); // one table of 4K pieces
        Assert.Equal(PagingError.NotMapped, Table.Query(new VirtAddr(va + 7 * K4)).Error);
        Assert.Equal(At(pa, kept, K4), Query(va));
        Assert.Equal(At(pa + 6 * K4 + 0x123, kept, K4), Query(va + 6 * K4 + 0x123));
        Assert.Equal(At(pa + 8 * K4, kept, K4), Query(va + 8 * K4));
        Assert.Equal(At(pa + M2 - 1, kept, K4), Query(va + M2 - 1));
        for (int i = 0; i < 512; i++)
        {
            if (i == 7) continue;
            TPte piece = EntryAt(va + (ulong)i * K4, LevelOf(K4));
            Assert.True(piece.IsProtNone && !piece.IsPresent, $"piece {i}: 0x{piece.Bits:x16}");
            Assert.Equal(new PhysAddr(pa + (ulong)i * K4), piece.Paddr);
        }
        var leaves = WalkedLeaves();
        Assert.Equal(511, leaves.Count);
        Assert.All(leaves, l => Assert.Equal((LevelOf(K4), kept), (l.Level, l.Entry.Flags)));
        EveryAccessFaultsAt(va + 8 * K4, LevelOf(K4)); // the piece's own entry now, not the 2M one

        // The pieces take rights and lose them like any 4K page, and the last one removed gives the table back.
        Assert.True(Table.ProtectRegion(new VirtAddr(va), 7 * K4, RW, flushTlbByPage: false).IsOk);
        Assert.Equal(At(pa + 6 * K4, RW, K4), Query(va + 6 * K4));
        Assert.Equal(At(pa + 8 * K4, kept, K4), Query(va + 8 * K4));
        Assert.True(Table.UnmapRegion(new VirtAddr(va), 7 * K4, flushTlbByPage: false).IsOk);
        Assert.True(Table.UnmapRegion(new VirtAddr(va + 8 * K4), M2 - 8 * K4, flushTlbByPage: false).IsOk);
        Assert.Empty(WalkedLeaves());
        Assert.Equal(1, Arena.InUse);
    }

    [Fact]
    public void A_cut_prot_none_1G_page_becomes_prot_none_2M_pieces_and_only_the_cut_piece_4K_pages()
    {
        const ulong va = 0x8000_0000, pa = 0xc000_0000;
        Assert.True(Table.Map(new VirtAddr(va), new PhysAddr(pa), PageSize.Size1G, User).IsOk);
        int before = Arena.InUse;

        Assert.True(Table.ProtectRegion(new VirtAddr(va + 5 * M2 + K4), K4, RXU, flushTlbByPage: true).IsOk);
        Assert.Equal(before + 2, Arena.InUse); // the table of 2M pieces and the 4K table of piece 5
        Assert.Equal(At(pa + 5 * M2 + K4 + 0x10, RXU, K4), Query(va + 5 * M2 + K4 + 0x10));
        Assert.Equal(At(pa + 5 * M2, User, K4), Query(va + 5 * M2));
        Assert.Equal(At(pa + 5 * M2 + 2 * K4, User, K4), Query(va + 5 * M2 + 2 * K4));
        Assert.Equal(At(pa + 4 * M2 + 0x5000, User, M2), Query(va + 4 * M2 + 0x5000));
        Assert.Equal(At(pa + 6 * M2, User, M2), Query(va + 6 * M2));
        Assert.Equal(At(pa + G1 - 1, User, M2), Query(va + G1 - 1));
        TPte piece = EntryAt(va + 4 * M2, LevelOf(M2));
        Assert.True(piece.IsProtNone && piece.IsHuge && !piece.IsPresent, $"0x{piece.Bits:x16}");
        Assert.Equal(new PhysAddr(pa + 4 * M2), piece.Paddr);
        Assert.True(EntryAt(va + 5 * M2, LevelOf(M2)).IsPresent); // the pointer to piece 5's 4K table
        Assert.True(EntryAt(va + 5 * M2 + 2 * K4, LevelOf(K4)).IsProtNone);
        Assert.True(EntryAt(va + 5 * M2 + K4, LevelOf(K4)).IsPresent);
        EveryAccessFaultsAt(va + 4 * M2, LevelOf(M2));
        EveryAccessFaultsAt(va + 5 * M2, LevelOf(K4));
        Assert.Equal(pa + 5 * M2 + K4, Walked(va + 5 * M2 + K4, Access.Read, Privilege.User).Translation?.Pa);

        // A 2M-aligned range of the pieces is removed as one 2M page: no table more.
        Assert.True(Table.UnmapRegion(new VirtAddr(va + 9 * M2), M2, flushTlbByPage: false).IsOk);
        Assert.Equal(before + 2, Arena.InUse);
        Assert.Equal(PagingError.NotMapped, Table.Query(new VirtAddr(va + 9 * M2)).Error);
        Assert.Equal(At(pa + 10 * M2, User, M2), Query(va + 10 * M2));
        Table.Dispose();
        Assert.Equal(0, Arena.InUse);
    }

    [Fact]
    public void The_scan_before_a_split_counts_prot_none_4K_pages_as_mapped()
    {
        // Two PROT_NONE 4K pages in the last-level table before a 2M page; the region runs through them into the 2M page.
        const ulong huge = 0x4060_0000;
        Assert.True(Table.MapRegion(new VirtAddr(huge - 2 * K4), new PhysAddr(0x5000), 2 * K4, User, false, false).IsOk);
        Assert.True(Table.Map(new VirtAddr(huge), new PhysAddr(0x1240_0000), PageSize.Size2M, RW).IsOk);
        int before = Arena.InUse;

        Assert.True(Table.ProtectRegion(new VirtAddr(huge - 2 * K4), 3 * K4, None, flushTlbByPage: false).IsOk);
        Assert.Equal(before + 1, Arena.InUse);
        Assert.Equal(At(0x5000, None, K4), Query(huge - 2 * K4));
        Assert.Equal(At(0x1240_0000, None, K4), Query(huge));
        Assert.Equal(At(0x1240_1000, RW, K4), Query(huge + K4));

        Assert.True(Table.UnmapRegion(new VirtAddr(huge - 2 * K4), 4 * K4, flushTlbByPage: false).IsOk);
        Assert.Equal(PagingError.NotMapped, Table.Query(new VirtAddr(huge - K4)).Error);
        Assert.Equal(PagingError.NotMapped, Table.Query(new VirtAddr(huge + K4)).Error);
        Assert.Equal(At(0x1240_2000, RW, K4), Query(huge + 2 * K4));
    }

    [Fact]
    public void Taking_every_right_away_from_part_of_a_huge_page_splits_it_into_prot_none_pieces()
    {
        const ulong va2M = 0x4060_0000, pa2M = 0x1240_0000, va1G = 0x8000_0000, pa1G = 0xc000_0000;
        Assert.True(Table.Map(new VirtAddr(va2M), new PhysAddr(pa2M), PageSize.Size2M, RW).IsOk);
        Assert.True(Table.Map(new VirtAddr(va1G), new PhysAddr(pa1G), PageSize.Size1G, RW).IsOk);
        int before = Arena.InUse;

        Assert.True(Table.ProtectRegion(new VirtAddr(va2M + K4), 2 * K4, None, flushTlbByPage: false).IsOk);
        Assert.Equal(before + 1, Arena.InUse);
        Assert.Equal(At(pa2M + K4, None, K4), Query(va2M + K4));
        Assert.Equal(At(pa2M + 2 * K4, None, K4), Query(va2M + 2 * K4));
        Assert.Equal(At(pa2M, RW, K4), Query(va2M));
        Assert.Equal(At(pa2M + 3 * K4, RW, K4), Query(va2M + 3 * K4));
        TPte cut = EntryAt(va2M + K4, LevelOf(K4));
        Assert.True(cut.IsProtNone && !cut.IsPresent, $"0x{cut.Bits:x16}");
        Assert.True(EntryAt(va2M, LevelOf(K4)).IsPresent);

        // Across two 2M pieces of the 1G page: both are split down to 4K, the other pieces stay 2M pages with rights.
        Assert.True(Table.ProtectRegion(new VirtAddr(va1G + M2 - K4), 2 * K4, User, flushTlbByPage: true).IsOk);
        Assert.Equal(before + 4, Arena.InUse);
        Assert.Equal(At(pa1G + M2 - K4, User, K4), Query(va1G + M2 - K4));
        Assert.Equal(At(pa1G + M2, User, K4), Query(va1G + M2));
        Assert.Equal(At(pa1G + M2 - 2 * K4, RW, K4), Query(va1G + M2 - 2 * K4));
        Assert.Equal(At(pa1G + M2 + K4, RW, K4), Query(va1G + M2 + K4));
        Assert.Equal(At(pa1G + 2 * M2, RW, M2), Query(va1G + 2 * M2));
        EveryAccessFaultsAt(va1G + M2, LevelOf(K4));
        Assert.Equal(pa1G + 2 * M2 + 8, Walked(va1G + 2 * M2 + 8, Access.Write, Privilege.Supervisor).Translation?.Pa);
    }

    // ---- entries of no kind: a stale leaf, written past the table --------------------------------------------------

    /// <summary>
    /// A 2M page mapping the root's own frame (the arena's first), then its entry written with the valid bit cleared, as
    /// a kernel bug or a stale copy might leave it: non-zero, not valid, not a PROT_NONE leaf. Returns the entry's
    /// address and bits.
    /// </summary>
    private (ulong Address, ulong Bits) StaleHugeEntry(ulong va)
    {
        Assert.Equal(new PhysAddr(ArenaBase), Table.RootPaddr);
        Assert.True(Table.Map(new VirtAddr(va), new PhysAddr(ArenaBase), PageSize.Size2M, RW).IsOk);
        ulong address = EntryAddress(va, LevelOf(M2));
        ulong stale = Arena.ReadUInt64(new PhysAddr(address)) & ~1UL; // bit 0 is the valid bit of every format here
        Arena.WriteUInt64(new PhysAddr(address), stale);
        TPte e = FromBits(stale);
        Assert.False(e.IsUnused || e.IsPresent || e.IsProtNone || e.IsHuge);
        return (address, stale);
    }

    private byte[] RootBytes() => Arena.Frame(Table.RootPaddr).ToArray();

    [Fact]
    public void A_stale_entry_maps_nothing_and_every_change_there_answers_NotMapped_unchanged()
    {
        const ulong va = 0x4060_0000;
        var (address, stale) = StaleHugeEntry(va);
        int inUse = Arena.InUse;

        Assert.Equal(PagingError.NotMapped, Table.Query(new VirtAddr(va + 0x5000)).Error);
        Assert.Equal(PagingError.NotMapped, Table.Unmap(new VirtAddr(va)).Error);
        Assert.Equal(PagingError.NotMapped, Table.Protect(new VirtAddr(va), RW).Error);
        Assert.Equal(PagingError.NotMapped, Table.Remap(new VirtAddr(va), new PhysAddr(0), RW).Error);
        Assert.Equal(PagingError.NotMapped, Table.UnmapRegion(new VirtAddr(va), M2, true).Error);
        Assert.Equal(PagingError.NotMapped, Table.ProtectRegion(new VirtAddr(va), M2, RW, true).Error);
        Assert.Empty(WalkedLeaves());

        Assert.Equal(stale, Arena.ReadUInt64(new PhysAddr(address)));
        Assert.Equal(inUse, Arena.InUse);
    }

    [Fact]
    public void Map_under_a_stale_huge_entry_puts_a_new_table_there_and_never_reads_the_old_frame_as_one()
    {
        const ulong va = 0x4060_0000;
        var (address, _) = StaleHugeEntry(va);
        byte[] root = RootBytes();
        int inUse = Arena.InUse;

        Assert.True(Table.Map(new VirtAddr(va + 0x3000), new PhysAddr(0x3000), PageSize.Size4K, RW).IsOk);

        Assert.Equal(root, RootBytes()); // the frame the stale entry names is the root: untouched
        Assert.Equal(inUse + 1, Arena.InUse);
        TPte e = FromBits(Arena.ReadUInt64(new PhysAddr(address)));
        Assert.True(e.IsPresent && !e.IsHuge);
        Assert.NotEqual(new PhysAddr(ArenaBase), e.Paddr);
        Assert.Equal(At(0x3000, RW, K4), Query(va + 0x3000));
        Assert.Equal([va + 0x3000], WalkedLeaves().Select(l => l.Va));
    }

    [Fact]
    public void A_huge_page_or_a_region_may_be_mapped_over_a_stale_entry()
    {
        const ulong va = 0x4060_0000;
        var (address, _) = StaleHugeEntry(va);
        Assert.True(Table.Map(new VirtAddr(va), new PhysAddr(0x60_0000), PageSize.Size2M, None).IsOk);
        Assert.Equal(TPte.NewPage(new PhysAddr(0x60_0000), None, true).Bits, Arena.ReadUInt64(new PhysAddr(address)));
        Assert.True(Table.Unmap(new VirtAddr(va)).IsOk);

        _ = StaleHugeEntry(va);
        Assert.True(Table.MapRegion(new VirtAddr(va), new PhysAddr(0x80_0000), M2, RW, allowHuge: false, flushTlbByPage: false).IsOk);
        Assert.Equal(512, WalkedLeaves().Count);
        Assert.True(Table.UnmapRegion(new VirtAddr(va), M2, false).IsOk);

        _ = StaleHugeEntry(va);
        Assert.True(Table.MapRegion(new VirtAddr(va), v => new PhysAddr(v.Value - va + 0xa0_0000), M2, RW, allowHuge: true, flushTlbByPage: false).IsOk);
        Assert.Equal(At(0xa0_0000, RW, M2), Query(va));
    }

    [Fact]
    public void The_region_fast_path_writes_over_a_stale_4K_entry()
    {
        const ulong va = 0x4000_0000;
        Assert.True(Table.MapRegion(new VirtAddr(va), new PhysAddr(0x10_0000), 3 * K4, RW, false, false).IsOk);
        ulong address = EntryAddress(va + K4, LevelOf(K4));
        Arena.WriteUInt64(new PhysAddr(address), Arena.ReadUInt64(new PhysAddr(address)) & ~1UL);
        Assert.True(Table.Unmap(new VirtAddr(va)).IsOk);
        Assert.True(Table.Unmap(new VirtAddr(va + 2 * K4)).IsOk);
        int inUse = Arena.InUse; // the stale entry keeps its table: nothing the table does not understand is dropped
        Assert.Equal(TMeta.Levels, inUse);

        Assert.True(Table.MapRegion(new VirtAddr(va), new PhysAddr(0x20_0000), 3 * K4, None, false, false).IsOk);
        Assert.Equal(At(0x20_1000, None, K4), Query(va + K4));
        Assert.Equal(3, WalkedLeaves().Count);
    }

    [Fact]
    public void Dispose_and_CopyFrom_never_free_what_a_stale_entry_names()
    {
        // On Sv39 the 1G entry is a root entry that CopyFrom replaces; elsewhere the root slot's table is freed.
        Assert.True(Table.Map(new VirtAddr(0x4000_0000), new PhysAddr(ArenaBase), PageSize.Size1G, RW).IsOk);
        ulong address = EntryAddress(0x4000_0000, LevelOf(G1));
        Arena.WriteUInt64(new PhysAddr(address), Arena.ReadUInt64(new PhysAddr(address)) & ~1UL);
        using var other = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(Arena)).Value;
        Assert.True(Table.CopyFrom(other, new VirtAddr(0x4000_0000), K4).IsOk);
        other.Dispose();
        Table.Dispose();
        Assert.Equal(0, Arena.InUse);
    }

    /// <summary>The bytes of a <see cref="TableImage"/> at its load address, for a walker.</summary>
    private sealed class ImageMemory(TableImage image) : IPhysicalMemory
    {
        public bool TryRead64(ulong paddr, out ulong value)
        {
            ulong offset = paddr - image.LoadAddress.Value;
            if ((paddr & 7) != 0 || paddr < image.LoadAddress.Value || offset + 8 > (ulong)image.Bytes.Length)
            {
                value = 0;
                return false;
            }
            value = BinaryPrimitives.ReadUInt64LittleEndian(image.Bytes.Span.Slice((int)offset, 8));
            return true;
        }
    }
}

public sealed class X64ProtNoneTableTests : ProtNoneTableTests<X64PagingMetaData, X64Pte>
{
    protected override string Name => "X64";

    protected override TableImage Image(PageTable64<X64PagingMetaData, X64Pte, ArenaHandler> table) => TableImage.Of(table);
}

public sealed class A64ProtNoneTableTests : ProtNoneTableTests<A64PagingMetaData, A64Pte>
{
    protected override string Name => "A64";

    protected override TableImage Image(PageTable64<A64PagingMetaData, A64Pte, ArenaHandler> table) => TableImage.Of(table);
}

public sealed class Sv39ProtNoneTableTests : ProtNoneTableTests<Sv39PagingMetaData, RiscVPte>
{
    protected override string Name => "Sv39";

    protected override TableImage Image(PageTable64<Sv39PagingMetaData, RiscVPte, ArenaHandler> table) => TableImage.Of(table);
}

public sealed class Sv48ProtNoneTableTests : ProtNoneTableTests<Sv48PagingMetaData, RiscVPte>
{
    protected override string Name => "Sv48";

    protected override TableImage Image(PageTable64<Sv48PagingMetaData, RiscVPte, ArenaHandler> table) => TableImage.Of(table);
}

public sealed class La64ProtNoneTableTests : ProtNoneTableTests<La64PagingMetaData, La64Pte>
{
    protected override string Name => "La64";

    protected override TableImage Image(PageTable64<La64PagingMetaData, La64Pte, ArenaHandler> table) => TableImage.Of(table);
}
