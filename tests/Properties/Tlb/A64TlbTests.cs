using PageTableModel.Hardware;
using PageTableMultiarch.Properties.Walkers;
using Xunit;

namespace PageTableMultiarch.Properties.Tlb;

/// <summary>
/// <see cref="A64Tlb"/> against hand-built VMSAv8-64 tables, 4 KB granule (Arm ARM DDI 0487 D8.3 descriptors;
/// TLB maintenance: TLBI VAE1, VALE1, VAAE1, VAALE1, ASIDE1, VMALLE1).
/// </summary>
/// <remarks>
/// Address A = 0x0000_0080_8060_4000 walks level 0 [1] (root 0x1000) → level 1 0x2000 [2] → level 2 0x3000 [3] →
/// level 3 0x4000 [4]. Table descriptors are address | 0b11. Pages are
/// 0x0060_0000_0000_0f07 | output: valid, page, AttrIndx 1, SH 11, AF, nG, PXN, UXN (kernel read/write); nG is
/// bit 11 (0x800). A 2 MB block at level 2 is 0x0060_0000_0000_0f05 | output.
/// </remarks>
public sealed class A64TlbTests
{
    private const ulong Root = 0x1000;
    private const ulong A = 0x0000_0080_8060_4000;
    private const ulong Table = 0b11;
    private const ulong Page = 0x0060_0000_0000_0f07;
    private const ulong Block = 0x0060_0000_0000_0f05;
    private const ulong NotGlobal = 0x800;

    private static FrameMemory Tables(ulong leaf = 0x50_000 | Page) =>
        new FrameMemory().Entry(Root, 1, 0x2000 | Table).Entry(0x2000, 2, 0x3000 | Table)
            .Entry(0x3000, 3, 0x4000 | Table).Entry(0x4000, 4, leaf);

    private static ulong? Pa(SimulatedTlb tlb, ulong va) => tlb.Translate(va, Access.Read, Privilege.Supervisor).Result.Translation?.Pa;

    [Fact]
    public void A_walk_caches_walk_entries_for_every_table_descriptor_and_the_page()
    {
        var tlb = new A64Tlb(Tables(), Root) { Asid = 7 };
        IReadOnlyList<TlbEntry> added = tlb.Fill(A);
        Assert.Equal([0, 1, 2, 3], added.Select(e => e.Level));
        Assert.Equal(3, added.Count(e => e.Kind == TlbEntryKind.Table));
        Assert.All(added, e => Assert.Equal((ushort)7, e.Asid));
        Assert.All(added, e => Assert.False(e.Global));
    }

    [Fact]
    public void A_leaf_with_the_access_flag_clear_is_not_cached_but_its_tables_are()
    {
        var tlb = new A64Tlb(Tables(leaf: 0x50_000 | (Page & ~0x400UL)), Root);
        IReadOnlyList<TlbEntry> added = tlb.Fill(A);
        Assert.All(added, e => Assert.Equal(TlbEntryKind.Table, e.Kind));
        Assert.Equal(3, added.Count);
    }

    [Fact]
    public void A_stale_page_is_served_until_tlbi_vae1_removes_it()
    {
        FrameMemory memory = Tables();
        var tlb = new A64Tlb(memory, Root) { Asid = 3 };
        tlb.Fill(A);
        memory.Entry(0x4000, 4, 0x70_000 | Page);

        Assert.Equal(0x50_000UL, Pa(tlb, A));
        Assert.Equal([3], tlb.Disagreements().Select(d => d.Entry.Level));

        Assert.Equal(0, tlb.TlbiVae1(A, asid: 4)); // another address space: nothing of ASID 3 goes
        Assert.Equal(4, tlb.TlbiVae1(A, asid: 3)); // all levels
        Assert.Equal(0x70_000UL, Pa(tlb, A));
        Assert.Empty(tlb.Disagreements());
    }

    [Fact]
    public void Last_level_invalidation_leaves_a_stale_walk_entry_that_an_all_level_one_removes()
    {
        FrameMemory memory = Tables();
        memory.Entry(0x5000, 4, 0x80_000 | Page); // a second level 3 table mapping A elsewhere
        var tlb = new A64Tlb(memory, Root);
        tlb.Fill(A);
        memory.Entry(0x3000, 3, 0x5000 | Table); // the level 2 descriptor now points to it

        Assert.Equal(1, tlb.TlbiVale1(A, asid: 0)); // the page only
        TlbLookup lookup = tlb.Translate(A, Access.Read, Privilege.Supervisor);
        Assert.Equal(0x50_000UL, lookup.Result.Translation?.Pa); // walked through the cached level 2 descriptor
        Assert.Equal(2, lookup.WalkStart?.Level);
        TlbDisagreement stale = Assert.Single(tlb.Disagreements());
        Assert.Equal((TlbEntryKind.Table, 2, 0x4000UL), (stale.Entry.Kind, stale.Entry.Level, stale.Entry.NextTable));
        Assert.Equal([(2, FrameUse.NextTable)], tlb.ReferencesTo(0x4000).Select(r => (r.Entry.Level, r.Use)));

        Assert.Equal(0, tlb.TlbiVaale1(A));           // last level, any ASID: still nothing to remove
        Assert.Equal(3, tlb.TlbiVaae1(A + 0x1_0000)); // all levels for an address under the same tables
        Assert.Equal(0x80_000UL, Pa(tlb, A));
        Assert.Empty(tlb.Disagreements());
        Assert.Empty(tlb.ReferencesTo(0x4000));
    }

    [Fact]
    public void Aside1_removes_walk_entries_and_non_global_pages_of_its_asid_only()
    {
        FrameMemory memory = Tables();
        memory.Entry(0x4000, 6, 0x60_000 | (Page & ~NotGlobal)); // A + 0x2000: a global page
        var tlb = new A64Tlb(memory, Root) { Asid = 1 };
        tlb.Fill(A);
        tlb.Fill(A + 0x2000);
        tlb.Asid = 2;
        tlb.Fill(A);

        Assert.Equal(4, tlb.TlbiAside1(1));
        Assert.Equal(
            [(TlbEntryKind.Leaf, true, (ushort)1), (TlbEntryKind.Table, false, (ushort)2), (TlbEntryKind.Table, false, (ushort)2),
                (TlbEntryKind.Table, false, (ushort)2), (TlbEntryKind.Leaf, false, (ushort)2)],
            tlb.Entries.Select(e => (e.Kind, e.Global, e.Asid)));
        Assert.Equal(0x60_000UL, Pa(tlb, A + 0x2000)); // the global page answers in ASID 2 too

        Assert.Equal(5, tlb.TlbiVmalle1());
        Assert.Empty(tlb.Entries);
    }

    [Fact]
    public void A_block_replaced_by_a_table_without_break_before_make_leaves_two_possible_answers()
    {
        FrameMemory memory = new FrameMemory().Entry(Root, 1, 0x2000 | Table).Entry(0x2000, 2, 0x3000 | Table)
            .Entry(0x3000, 3, 0x20_0000 | Block);
        var tlb = new A64Tlb(memory, Root);
        tlb.Fill(A);
        memory.Entry(0x4000, 4, 0x50_000 | Page);
        memory.Entry(0x3000, 3, 0x4000 | Table); // block → table in one write, no invalidation

        IReadOnlyList<WalkResult> answers = tlb.PossibleResults(A, Access.Read, Privilege.Supervisor);
        Assert.Equal([0x50_000UL, 0x20_4000UL], answers.Select(r => r.Translation!.Value.Pa).Order());
        Assert.Equal(0x20_4000UL, Pa(tlb, A));

        tlb.ApplyFlush(A);
        Assert.Equal([0x50_000UL], tlb.PossibleResults(A, Access.Read, Privilege.Supervisor).Select(r => r.Translation!.Value.Pa));
    }

    [Fact]
    public void Flush_instructions_are_tlbi_vaae1is_and_vmalle1is()
    {
        var tlb = new A64Tlb(Tables(), Root);
        Assert.Equal("tlbi vaae1is, 0x8080604; dsb ish; isb", tlb.FlushInstruction(A + 0x123));
        Assert.Equal("tlbi vmalle1is; dsb ish; isb", tlb.FlushInstruction(null));
        tlb.Fill(A);
        tlb.Asid = 9;
        tlb.ApplyFlush(A); // any ASID
        Assert.Empty(tlb.Entries);
    }
}
