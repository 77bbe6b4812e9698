using PageTableModel.Hardware;
using PageTableMultiarch.Properties.Walkers;
using Xunit;

namespace PageTableMultiarch.Properties.Tlb;

/// <summary>
/// <see cref="La64Tlb"/> against hand-built tables (LoongArch Reference Manual Vol. 1: §5.4 TLB refill with
/// LDDIR/LDPTE, §4.2.4 INVTLB, §7.5 TLBELO fields).
/// </summary>
/// <remarks>
/// Address A = 0x0000_0080_8060_4000 walks Dir3 [1] (root 0x1000) → Dir2 0x2000 [2] → Dir1 0x3000 [3] → PT 0x4000
/// [4]; its pair neighbour is A + 0x1000, PT entry 5. Directory entries hold the next table's address. 4 KiB leaves
/// are frame | V | D | MAT=CC | P | W (0x193), G is bit 6 (0x40); a 2 MiB leaf in Dir1 is frame | V | D | HUGE | MAT=CC
/// (0x53), HGLOBAL is bit 12.
/// </remarks>
public sealed class La64TlbTests
{
    private const ulong Root = 0x1000;
    private const ulong A = 0x0000_0080_8060_4000;
    private const ulong Leaf = 0x193;
    private const ulong G = 0x40;
    private const ulong Huge = 0x53;

    private static FrameMemory Tables(ulong even = 0x50_000 | Leaf, ulong odd = 0) =>
        new FrameMemory().Entry(Root, 1, 0x2000).Entry(0x2000, 2, 0x3000).Entry(0x3000, 3, 0x4000)
            .Entry(0x4000, 4, even).Entry(0x4000, 5, odd);

    private static ulong? Pa(SimulatedTlb tlb, ulong va) => tlb.Translate(va, Access.Read, Privilege.Supervisor).Result.Translation?.Pa;

    [Fact]
    public void A_refill_caches_both_halves_of_the_pair_and_no_directory_entry()
    {
        var tlb = new La64Tlb(Tables(), Root);
        IReadOnlyList<TlbEntry> added = tlb.Fill(A + 0x1000); // the odd page, which is invalid

        Assert.Equal([(A, false), (A + 0x1000, true)], added.Select(e => (e.VaBase, e.AnswersWithFault)));
        Assert.All(added, e => Assert.Equal((TlbEntryKind.Leaf, 3), (e.Kind, e.Level)));
        Assert.Equal(0x50_000UL, Pa(tlb, A)); // a hit from the even half
        Assert.Empty(tlb.ReferencesTo(0x3000)); // directories leave nothing behind
        Assert.Equal(2, tlb.ReferencesTo(0x4000).Count);
    }

    [Fact]
    public void A_cached_invalid_half_keeps_faulting_after_the_page_is_mapped_until_the_pair_is_invalidated()
    {
        FrameMemory memory = Tables();
        var tlb = new La64Tlb(memory, Root);
        tlb.Fill(A);
        memory.Entry(0x4000, 5, 0x51_000 | Leaf); // map the odd page, no INVTLB

        TlbLookup lookup = tlb.Translate(A + 0x1000, Access.Read, Privilege.Supervisor);
        Assert.Contains("V=0", lookup.Result.Fault?.Reason, StringComparison.Ordinal);
        Assert.NotNull(lookup.Hit);
        TlbDisagreement stale = Assert.Single(tlb.Disagreements());
        Assert.Equal(A + 0x1000, stale.Entry.VaBase);

        tlb.ApplyFlush(A); // invtlb 0x6 selects the whole pair through the even page's address
        Assert.Empty(tlb.Entries);
        Assert.Equal(0x51_000UL, Pa(tlb, A + 0x1000));
    }

    [Fact]
    public void Invtlb_5_and_6_select_by_address_asid_and_global_bit()
    {
        FrameMemory memory = Tables(even: 0x50_000 | Leaf | G, odd: 0x51_000 | Leaf | G);
        memory.Entry(0x4000, 6, 0x60_000 | Leaf);
        var tlb = new La64Tlb(memory, Root) { Asid = 5 };
        tlb.Fill(A);          // a global pair
        tlb.Fill(A + 0x2000); // a pair of ASID 5 (G clear in both halves)
        Assert.Equal([true, true, false, false], tlb.Entries.Select(e => e.Global));

        Assert.Equal(0, tlb.Invtlb(5, 5, A));          // op 5 spares global entries
        Assert.Equal(0, tlb.Invtlb(5, 4, A + 0x2000)); // and other ASIDs
        Assert.Equal(2, tlb.Invtlb(5, 5 | 0x400, A + 0x3000)); // rj bits above 9 are not the ASID
        Assert.Equal(2, tlb.Invtlb(6, 4, A + 0x1000)); // op 6 takes global entries whatever the ASID
        Assert.Empty(tlb.Entries);
    }

    [Fact]
    public void A_pair_is_global_only_when_both_halves_are()
    {
        var tlb = new La64Tlb(Tables(even: 0x50_000 | Leaf | G, odd: 0x51_000 | Leaf), Root);
        Assert.All(tlb.Fill(A), e => Assert.False(e.Global));
        Assert.Equal(2, tlb.Invtlb(3, 0, 0)); // all non-global entries
    }

    [Fact]
    public void Invtlb_all_and_by_global_bit()
    {
        FrameMemory memory = Tables(even: 0x50_000 | Leaf | G, odd: 0x51_000 | Leaf | G);
        memory.Entry(0x4000, 6, 0x60_000 | Leaf);
        var tlb = new La64Tlb(memory, Root) { Asid = 3 };
        tlb.Fill(A);
        tlb.Fill(A + 0x2000);

        Assert.Equal(2, tlb.Invtlb(2, 0, 0)); // global entries
        Assert.Equal(0, tlb.Invtlb(4, 2, 0)); // non-global of ASID 2: none
        Assert.Equal(2, tlb.Invtlb(4, 3, 0)); // non-global of ASID 3
        tlb.Fill(A);
        Assert.Equal(2, tlb.Invtlb(1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tlb.Invtlb(7, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tlb.Asid = 1024);
    }

    [Fact]
    public void A_huge_page_is_one_entry_and_a_stale_one_goes_with_the_flush_of_any_address_in_it()
    {
        FrameMemory memory = new FrameMemory().Entry(Root, 1, 0x2000).Entry(0x2000, 2, 0x3000)
            .Entry(0x3000, 3, 0x20_0000 | Huge);
        var tlb = new La64Tlb(memory, Root);
        TlbEntry huge = Assert.Single(tlb.Fill(A));
        Assert.Equal((2, A & ~0x1f_ffffUL, 0x20_0000UL), (huge.Level, huge.VaBase, huge.Span));

        memory.Entry(0x3000, 3, 0x40_0000 | Huge);
        Assert.Equal(0x20_4000UL, Pa(tlb, A));
        Assert.Single(tlb.Disagreements());
        tlb.ApplyFlush((A & ~0x1f_ffffUL) + 0x1f_f000);
        Assert.Equal(0x40_4000UL, Pa(tlb, A));
    }

    [Fact]
    public void A_walk_that_meets_an_empty_directory_caches_nothing()
    {
        var tlb = new La64Tlb(new FrameMemory().Entry(Root, 1, 0x2000).Entry(0x2000, 2, 0), Root);
        Assert.Empty(tlb.Fill(A));
        Assert.Equal("dbar 0; invtlb 0x6, asid 0, 0x808060400", tlb.FlushInstruction(0x8_0806_0400));
        Assert.Equal("dbar 0; invtlb 0x0, zero, zero", tlb.FlushInstruction(null));
    }
}
