using PageTableModel.Hardware;
using PageTableMultiarch.Properties.Walkers;
using Xunit;

namespace PageTableMultiarch.Properties.Tlb;

/// <summary>
/// <see cref="X64Tlb"/> against hand-built 4-level tables (Intel SDM Vol. 3A §4.5 entry formats, §4.10 caching and
/// invalidation).
/// </summary>
/// <remarks>
/// Address A = 0x0000_0080_8060_4000 walks PML4[1] → PDPT 0x2000 [2] → PD 0x3000 [3] → PT 0x4000 [4]; address B =
/// 0x0000_0100_0000_0000 walks PML4[2] → PDPT 0x6000 [0] → PD 0x7000 [0] → PT 0x8000 [0]. The root is 0x1000.
/// Table entries are address | P | R/W | U/S (0x7); 4 KiB leaves are frame | P | R/W (0x3), G is bit 8, A bit 5.
/// </remarks>
public sealed class X64TlbTests
{
    private const ulong Root = 0x1000;
    private const ulong A = 0x0000_0080_8060_4000;
    private const ulong B = 0x0000_0100_0000_0000;
    private const ulong Table = 0x7;
    private const ulong KernelRw = 0x3;
    private const ulong Global = 0x100;

    private static FrameMemory Tables(ulong leafA = 0x50_000 | KernelRw, ulong leafB = 0x60_000 | KernelRw) =>
        new FrameMemory()
            .Entry(Root, 1, 0x2000 | Table).Entry(0x2000, 2, 0x3000 | Table).Entry(0x3000, 3, 0x4000 | Table).Entry(0x4000, 4, leafA)
            .Entry(Root, 2, 0x6000 | Table).Entry(0x6000, 0, 0x7000 | Table).Entry(0x7000, 0, 0x8000 | Table).Entry(0x8000, 0, leafB);

    private static ulong? Pa(SimulatedTlb tlb, ulong va) => tlb.Translate(va, Access.Read, Privilege.Supervisor).Result.Translation?.Pa;

    [Fact]
    public void A_walk_caches_the_leaf_and_one_paging_structure_entry_per_level()
    {
        var tlb = new X64Tlb(Tables(), Root);
        IReadOnlyList<TlbEntry> added = tlb.Fill(A + 0x123);

        Assert.Equal([TlbEntryKind.Table, TlbEntryKind.Table, TlbEntryKind.Table, TlbEntryKind.Leaf], added.Select(e => e.Kind));
        Assert.Equal([0x2000UL, 0x3000UL, 0x4000UL], added.Take(3).Select(e => e.NextTable));
        Assert.Equal([Root + 8, 0x2000UL + 16, 0x3000UL + 24, 0x4000UL + 32], added.Select(e => e.EntryAddress));
        Assert.Equal(A, added[3].VaBase);
        Assert.Equal(0x50_000UL, added[3].OutputBase);
        Assert.Empty(tlb.Fill(A + 0x800)); // a hit: nothing more is cached
        Assert.Equal(4, tlb.Entries.Count);
    }

    [Fact]
    public void A_stale_leaf_is_served_until_invlpg_removes_it()
    {
        FrameMemory memory = Tables();
        var tlb = new X64Tlb(memory, Root);
        tlb.Fill(A);
        memory.Entry(0x4000, 4, 0x70_000 | KernelRw); // remap A in memory, no invalidation

        TlbLookup stale = tlb.Translate(A + 0x10, Access.Read, Privilege.Supervisor);
        Assert.Equal(0x50_010UL, stale.Result.Translation?.Pa);
        Assert.NotNull(stale.Hit);
        Assert.Equal([A], tlb.Disagreements().Select(d => d.Entry.VaBase));
        Assert.Contains(0x50_010UL, tlb.PossibleResults(A + 0x10, Access.Read, Privilege.Supervisor).Select(r => r.Translation?.Pa));
        Assert.Contains(0x70_010UL, tlb.PossibleResults(A + 0x10, Access.Read, Privilege.Supervisor).Select(r => r.Translation?.Pa));

        Assert.Equal(4, tlb.Invlpg(A + 0xfff)); // the page's leaf and every paging-structure entry
        Assert.Equal(0x70_000UL, Pa(tlb, A));
        Assert.Empty(tlb.Disagreements());
    }

    [Fact]
    public void Invlpg_removes_paging_structure_entries_for_other_addresses_too()
    {
        var tlb = new X64Tlb(Tables(), Root);
        tlb.Fill(A);
        tlb.Fill(B);
        Assert.Equal(3, tlb.Entries.Count(e => e.Kind == TlbEntryKind.Table && e.VaBase >> 39 == B >> 39));

        tlb.Invlpg(A);

        Assert.DoesNotContain(tlb.Entries, e => e.Kind == TlbEntryKind.Table);
        TlbEntry survivor = Assert.Single(tlb.Entries);
        Assert.Equal((TlbEntryKind.Leaf, B), (survivor.Kind, survivor.VaBase)); // B's translation stays
    }

    [Fact]
    public void A_walk_uses_a_cached_pde_after_the_upper_levels_changed_in_memory()
    {
        FrameMemory memory = Tables();
        memory.Entry(0x4000, 5, 0x51_000 | KernelRw); // A + 4K, in the same page table
        var tlb = new X64Tlb(memory, Root);
        tlb.Fill(A);
        memory.Entry(Root, 1, 0); // PML4[1] cleared: memory alone faults at level 0

        TlbLookup lookup = tlb.Translate(A + 0x1000, Access.Read, Privilege.Supervisor);
        Assert.Equal(0x51_000UL, lookup.Result.Translation?.Pa);
        Assert.Equal(2, lookup.WalkStart?.Level); // the PDE-cache entry skipped levels 0 to 2
        Assert.True(Walkers.Faults(memory, A + 0x1000));
        Assert.Equal([0, 1, 2, 3], tlb.Disagreements().Select(d => d.Entry.Level));

        tlb.ReloadCr3();
        Assert.Null(Pa(tlb, A + 0x1000));
        Assert.Empty(tlb.Entries);
    }

    [Fact]
    public void A_cr3_reload_keeps_global_leaves_that_invlpg_and_a_pge_toggle_remove()
    {
        var tlb = new X64Tlb(Tables(leafA: 0x50_000 | KernelRw | Global), Root);
        tlb.Fill(A);
        tlb.Fill(B);

        tlb.ApplyFlush(null); // CR3 reload
        TlbEntry kept = Assert.Single(tlb.Entries);
        Assert.True(kept.Global);
        Assert.Equal(A, kept.VaBase);

        tlb.Fill(B);
        tlb.ApplyFlush(A); // INVLPG removes the global page too
        Assert.DoesNotContain(tlb.Entries, e => e.VaBase == A);

        tlb.Fill(A);
        Assert.Equal(5, tlb.FlushGlobal());
        Assert.Empty(tlb.Entries);
    }

    [Fact]
    public void Disagreements_list_exactly_the_entries_memory_no_longer_backs()
    {
        FrameMemory memory = Tables();
        var tlb = new X64Tlb(memory, Root);
        tlb.Fill(A);
        tlb.Fill(B);
        memory.Entry(0x4000, 4, 0x50_000 | KernelRw | 0x20); // A's accessed bit only: the hardware ignores it
        Assert.Empty(tlb.Disagreements());

        memory.Entry(0x8000, 0, 0x60_000 | 0x1);          // B becomes read-only: a permission change
        memory.Entry(0x2000, 2, 0x9000 | Table);          // A's PDPTE points to an empty page directory
        memory.Entry(0x9000, 0, 0);

        IReadOnlyList<TlbDisagreement> stale = tlb.Disagreements();
        Assert.Equal(
            [(1, A & ~0x3fff_ffffUL), (2, A & ~0x1f_ffffUL), (3, A), (3, B)],
            stale.Select(d => (d.Entry.Level, d.Entry.VaBase)).OrderBy(x => x.VaBase).ThenBy(x => x.Level));
        Assert.Contains("Supervisor Write", stale.Single(d => d.Entry.VaBase == B).Memory, StringComparison.Ordinal);
    }

    [Fact]
    public void References_to_a_frame_name_every_entry_that_points_into_it_or_was_read_from_it()
    {
        var tlb = new X64Tlb(Tables(), Root);
        tlb.Fill(A);
        tlb.Fill(B);

        Assert.Equal(
            [(2, FrameUse.NextTable), (3, FrameUse.ReadFrom)],
            tlb.ReferencesTo(0x4000).Select(r => (r.Entry.Level, r.Use)));
        Assert.Equal([(3, FrameUse.Output)], tlb.ReferencesTo(0x50_abc).Select(r => (r.Entry.Level, r.Use)));
        Assert.Empty(tlb.ReferencesTo(0x9000));

        // Clear A's PDE, then free its page table: INVLPG of A removes every reference to it.
        tlb.ApplyFlush(A);
        Assert.Empty(tlb.ReferencesTo(0x4000));
        Assert.NotEmpty(tlb.ReferencesTo(0x60_000)); // B's leaf still maps its data frame
    }

    [Fact]
    public void Flush_instructions_are_invlpg_and_a_cr3_reload()
    {
        var tlb = new X64Tlb(Tables(), Root);
        Assert.Equal("invlpg [0x808060400]", tlb.FlushInstruction(0x8_0806_0400));
        Assert.Equal("mov cr3, cr3", tlb.FlushInstruction(null));
        tlb.Fill(A);
        Assert.Equal(0, tlb.Invlpg(0x0000_8000_0000_0000)); // non-canonical: a no-op
        Assert.Equal(4, tlb.Entries.Count);
    }

    private static class Walkers
    {
        public static bool Faults(IPhysicalMemory memory, ulong va) =>
            new X64Walker().Translate(memory, Root, va, Access.Read, Privilege.Supervisor).IsFault;
    }
}
