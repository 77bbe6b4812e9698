using PageTableModel.Hardware;
using PageTableMultiarch.Properties.Walkers;
using Xunit;

namespace PageTableMultiarch.Properties.Tlb;

/// <summary>
/// <see cref="RiscVTlb"/> for Sv39 and Sv48 against hand-built tables (Privileged spec: Sv39/Sv48 PTE format,
/// "Supervisor Memory-Management Fence Instruction").
/// </summary>
/// <remarks>
/// Address A has VPN indices 2 (1 GiB level), 3 (2 MiB level), 4 (4 KiB level), and 1 at the 512 GiB level in Sv48.
/// The root is 0x1000; below it come tables 0x2000, 0x3000 (and 0x4000 in Sv48), the last being the page table.
/// Non-leaf PTEs are (PPN &lt;&lt; 10) | V; leaves are (PPN &lt;&lt; 10) | V R W A D (0xc7); G is bit 5 (0x20).
/// </remarks>
public abstract class RiscVTlbTests
{
    private const ulong Root = 0x1000;
    private const ulong Leaf = 0xc7;
    private const ulong G = 0x20;

    /// <summary>3 for Sv39, 4 for Sv48.</summary>
    protected abstract int Levels { get; }

    /// <summary>The walker of the mode.</summary>
    protected abstract IHardwareWalker Walker { get; }

    private ulong A => Levels == 4 ? 0x0000_0080_8060_4000UL : 0x8060_4000UL;

    // The tables of A, root first: 0x1000, 0x2000, ...; the last one is the page table.
    private ulong PageTable => Root + (ulong)(Levels - 1) * 0x1000;

    private static ulong NonLeaf(ulong table) => (table >> 12) << 10 | 1;

    private static ulong Page(ulong pa, ulong extra = 0) => (pa >> 12) << 10 | Leaf | extra;

    private FrameMemory Tables(ulong leaf, ulong rootExtra = 0)
    {
        ulong[] index = Levels == 4 ? [1, 2, 3, 4] : [2, 3, 4];
        var memory = new FrameMemory();
        for (int level = 0; level < Levels - 1; level++)
        {
            ulong table = Root + (ulong)level * 0x1000;
            memory.Entry(table, (int)index[level], NonLeaf(table + 0x1000) | (level == 0 ? rootExtra : 0));
        }

        return memory.Entry(PageTable, 4, leaf);
    }

    private RiscVTlb NewTlb(FrameMemory memory) => new(Walker, memory, Root);

    private static ulong? Pa(SimulatedTlb tlb, ulong va) => tlb.Translate(va, Access.Read, Privilege.Supervisor).Result.Translation?.Pa;

    [Fact]
    public void A_walk_caches_every_non_leaf_pte_and_the_leaf()
    {
        RiscVTlb tlb = NewTlb(Tables(Page(0x50_000)));
        IReadOnlyList<TlbEntry> added = tlb.Fill(A);
        Assert.Equal(Levels - 1, added.Count(e => e.Kind == TlbEntryKind.Table));
        Assert.Equal(PageTable, added[^2].NextTable);
        Assert.Equal((TlbEntryKind.Leaf, 0x50_000UL), (added[^1].Kind, added[^1].OutputBase));
    }

    [Fact]
    public void A_leaf_with_a_clear_is_not_cached()
    {
        RiscVTlb tlb = NewTlb(Tables(Page(0x50_000) & ~0x40UL));
        Assert.DoesNotContain(tlb.Fill(A), e => e.Kind == TlbEntryKind.Leaf);
    }

    [Fact]
    public void A_stale_leaf_is_served_until_sfence_vma_with_its_address()
    {
        FrameMemory memory = Tables(Page(0x50_000));
        RiscVTlb tlb = NewTlb(memory);
        tlb.Fill(A);
        memory.Entry(PageTable, 4, Page(0x70_000));

        Assert.Equal(0x50_000UL, Pa(tlb, A));
        Assert.Equal([Levels - 1], tlb.Disagreements().Select(d => d.Entry.Level));
        Assert.Equal(0, tlb.SfenceVma(A + 0x1000, null)); // another page: nothing
        Assert.Equal(1, tlb.SfenceVma(A + 0xfff, null));  // the leaf only
        Assert.Equal(0x70_000UL, Pa(tlb, A));
        Assert.Empty(tlb.Disagreements());
    }

    [Fact]
    public void Sfence_vma_with_an_address_keeps_a_stale_non_leaf_pte_that_rs1_x0_removes()
    {
        FrameMemory memory = Tables(Page(0x50_000));
        ulong newTable = 0x9000;
        memory.Entry(newTable, 4, Page(0x80_000));
        RiscVTlb tlb = NewTlb(memory);
        tlb.Fill(A);
        ulong parent = PageTable - 0x1000;
        memory.Entry(parent, 3, NonLeaf(newTable)); // the non-leaf PTE above A's page table changes

        tlb.ApplyFlush(A); // sfence.vma A, zero
        Assert.DoesNotContain(tlb.Entries, e => e.Kind == TlbEntryKind.Leaf);
        TlbLookup lookup = tlb.Translate(A, Access.Read, Privilege.Supervisor);
        Assert.Equal(0x50_000UL, lookup.Result.Translation?.Pa); // through the cached non-leaf PTE
        TlbDisagreement stale = Assert.Single(tlb.Disagreements());
        Assert.Equal((TlbEntryKind.Table, PageTable), (stale.Entry.Kind, stale.Entry.NextTable));
        Assert.Equal([FrameUse.NextTable], tlb.ReferencesTo(PageTable).Select(r => r.Use)); // the old table is not free yet

        tlb.ApplyFlush(null); // sfence.vma zero, zero
        Assert.Equal(0x80_000UL, Pa(tlb, A));
        Assert.Empty(tlb.Entries);
        Assert.Empty(tlb.ReferencesTo(PageTable));
    }

    [Fact]
    public void Sfence_vma_with_an_asid_spares_global_entries_and_other_address_spaces()
    {
        FrameMemory memory = Tables(Page(0x50_000));
        memory.Entry(PageTable, 6, Page(0x60_000, G)); // A + 0x2000: a global leaf
        RiscVTlb tlb = NewTlb(memory);
        tlb.Asid = 1;
        tlb.Fill(A);
        tlb.Fill(A + 0x2000);
        tlb.Asid = 2;
        tlb.Fill(A);

        Assert.Equal(0, tlb.SfenceVma(A + 0x2000, 1)); // a global leaf is not selected by an ASID
        Assert.Equal(1, tlb.SfenceVma(A, 1));          // ASID 1's leaf for A, not ASID 2's
        Assert.Equal(Levels - 1, tlb.SfenceVma(null, 1 | 0x1_0000UL)); // ASID 1's non-leaf PTEs; bits above 15 ignored
        Assert.Equal([(true, (ushort)1)], tlb.Entries.Where(e => e.Asid == 1).Select(e => (e.Global, e.Asid)));
        Assert.Equal(tlb.Entries.Count, tlb.SfenceVma(null, null));
    }

    [Fact]
    public void G_in_a_non_leaf_pte_makes_everything_below_it_global()
    {
        RiscVTlb tlb = NewTlb(Tables(Page(0x50_000), rootExtra: G));
        Assert.All(tlb.Fill(A), e => Assert.True(e.Global));
    }

    [Fact]
    public void An_invalid_address_in_rs1_makes_sfence_vma_a_no_op()
    {
        RiscVTlb tlb = NewTlb(Tables(Page(0x50_000)));
        tlb.Fill(A);
        Assert.Equal(0, tlb.SfenceVma(0x0000_8000_0000_0000, null));
        Assert.Equal(Levels, tlb.Entries.Count);
        Assert.Equal("sfence.vma 0x1000, zero", tlb.FlushInstruction(0x1000));
        Assert.Equal("sfence.vma zero, zero", tlb.FlushInstruction(null));
    }
}

public sealed class Sv39TlbTests : RiscVTlbTests
{
    protected override int Levels => 3;

    protected override IHardwareWalker Walker { get; } = new Sv39Walker();
}

public sealed class Sv48TlbTests : RiscVTlbTests
{
    protected override int Levels => 4;

    protected override IHardwareWalker Walker { get; } = new Sv48Walker();
}
