using System.Runtime.CompilerServices;
using Xunit;

namespace PageTableMultiarch.Properties.EntryBits;

/// <summary>
/// The <see cref="IGenericPte{TSelf}"/> contract that the generic core relies on, written once and run per
/// entry format by a derived class. Expected values come from the derived class's hand-written facts
/// (address mask, effective flags), never from the code under test.
/// </summary>
public abstract class PteContractTests<TPte> where TPte : unmanaged, IGenericPte<TPte>
{
    /// <summary>The bits that hold the address, written out from the manual.</summary>
    protected abstract ulong AddressFieldMask { get; }

    /// <summary>The highest 4K-aligned physical address a leaf can hold.</summary>
    protected abstract ulong MaxPaddr { get; }

    /// <summary>docs/semantics.md "Effective flags" for this format, restated by hand.</summary>
    protected abstract MappingFlags Effective(MappingFlags flags);

    /// <summary>What <c>IsHuge</c> reads on a leaf made with <paramref name="isHuge"/>.</summary>
    protected virtual bool LeafIsHuge(bool isHuge) => isHuge;

    /// <summary>The hardware's valid bit of the format, written out from the manual.</summary>
    protected abstract ulong ValidBit { get; }

    /// <summary>The 8 PROT_NONE flag sets: none of Read, Write, Execute, with every subset of User, Device, Uncached.</summary>
    public static IEnumerable<MappingFlags> AllProtNoneFlags =>
        Enumerable.Range(0, 8).Select(i => (MappingFlags)(i << 3));

    /// <summary>Every PROT_NONE flag set, at every page size.</summary>
    public static TheoryData<MappingFlags, PageSize> ProtNoneLeaves
    {
        get
        {
            var data = new TheoryData<MappingFlags, PageSize>();
            foreach (MappingFlags f in AllProtNoneFlags)
                foreach (PageSize s in new[] { PageSize.Size4K, PageSize.Size2M, PageSize.Size1G })
                    data.Add(f, s);
            return data;
        }
    }

    /// <summary>The 32 flag sets that contain Read: Read plus every subset of the other five flags.</summary>
    public static IEnumerable<MappingFlags> AllReadFlags =>
        Enumerable.Range(0, 32).Select(i => MappingFlags.Read | (MappingFlags)(i << 1));

    /// <summary>Every flag set with Read, at every page size.</summary>
    public static TheoryData<MappingFlags, PageSize> Leaves
    {
        get
        {
            var data = new TheoryData<MappingFlags, PageSize>();
            foreach (MappingFlags f in AllReadFlags)
                foreach (PageSize s in new[] { PageSize.Size4K, PageSize.Size2M, PageSize.Size1G })
                    data.Add(f, s);
            return data;
        }
    }

    /// <summary>A physical address aligned to <paramref name="size"/> (and to nothing larger), below 2^48.</summary>
    protected static PhysAddr PaFor(PageSize size) => size switch
    {
        PageSize.Size4K => new PhysAddr(0x0000_1234_5678_9000),
        PageSize.Size2M => new PhysAddr(0x0000_00ab_cde0_0000),
        _ => new PhysAddr(0x0000_0040_c000_0000),
    };

    /// <summary>A second address aligned to <paramref name="size"/>, with different bits from <see cref="PaFor"/>.</summary>
    protected static PhysAddr OtherPaFor(PageSize size) => size switch
    {
        PageSize.Size4K => new PhysAddr(0x0000_0fed_cba9_8000),
        PageSize.Size2M => new PhysAddr(0x0000_7654_3220_0000),
        _ => new PhysAddr(0x0000_7fff_c000_0000),
    };

    [Fact]
    public void Entry_is_one_ulong()
    {
        Assert.Equal(8, Unsafe.SizeOf<TPte>());
    }

    [Theory]
    [MemberData(nameof(Leaves), DisableDiscoveryEnumeration = TheoryRows.OneTestPerTheory)]
    public void NewPage_round_trips(MappingFlags flags, PageSize size)
    {
        bool huge = size != PageSize.Size4K;
        TPte e = TPte.NewPage(PaFor(size), flags, huge);

        Assert.Equal(PaFor(size), e.Paddr);
        Assert.Equal(Effective(flags), e.Flags);
        Assert.Equal(LeafIsHuge(huge), e.IsHuge);
        Assert.True(e.IsPresent);
        Assert.False(e.IsUnused);
    }

    [Fact]
    public void NewPage_at_the_highest_address_round_trips()
    {
        foreach (MappingFlags flags in AllReadFlags)
        {
            TPte e = TPte.NewPage(new PhysAddr(MaxPaddr), flags, isHuge: false);
            Assert.Equal(new PhysAddr(MaxPaddr), e.Paddr);
            Assert.Equal(Effective(flags), e.Flags);
        }
    }

    [Theory]
    [MemberData(nameof(Leaves), DisableDiscoveryEnumeration = TheoryRows.OneTestPerTheory)]
    public void Decoded_flags_encode_to_the_same_entry(MappingFlags flags, PageSize size)
    {
        bool huge = size != PageSize.Size4K;
        TPte e = TPte.NewPage(PaFor(size), flags, huge);

        Assert.Equal(e.Bits, TPte.NewPage(PaFor(size), e.Flags | MappingFlags.Read, huge).Bits);
    }

    [Theory]
    [MemberData(nameof(Leaves), DisableDiscoveryEnumeration = TheoryRows.OneTestPerTheory)]
    public void SetFlags_keeps_the_address_and_rewrites_every_flag(MappingFlags flags, PageSize size)
    {
        bool huge = size != PageSize.Size4K;
        // Start from the complement, so every flag bit has to change.
        MappingFlags before = MappingFlags.Read | (MappingFlags.All & ~flags);
        TPte e = TPte.NewPage(PaFor(size), before, huge);

        e.SetFlags(flags, huge);

        Assert.Equal(PaFor(size), e.Paddr);
        Assert.Equal(Effective(flags), e.Flags);
        Assert.Equal(LeafIsHuge(huge), e.IsHuge);
        Assert.Equal(TPte.NewPage(PaFor(size), flags, huge).Bits, e.Bits);
    }

    [Theory]
    [MemberData(nameof(Leaves), DisableDiscoveryEnumeration = TheoryRows.OneTestPerTheory)]
    public void SetFlags_can_turn_a_block_into_a_page_and_back(MappingFlags flags, PageSize size)
    {
        TPte e = TPte.NewPage(PaFor(size), flags, isHuge: true);

        e.SetFlags(flags, isHuge: false);
        Assert.Equal(LeafIsHuge(false), e.IsHuge);
        e.SetFlags(flags, isHuge: true);
        Assert.True(e.IsHuge);
        Assert.Equal(PaFor(size), e.Paddr);
    }

    [Theory]
    [MemberData(nameof(Leaves), DisableDiscoveryEnumeration = TheoryRows.OneTestPerTheory)]
    public void SetPaddr_keeps_the_flags_and_every_other_bit(MappingFlags flags, PageSize size)
    {
        bool huge = size != PageSize.Size4K;
        TPte e = TPte.NewPage(PaFor(size), flags, huge);
        ulong otherBits = e.Bits & ~AddressFieldMask;

        e.SetPaddr(OtherPaFor(size));

        Assert.Equal(OtherPaFor(size), e.Paddr);
        Assert.Equal(otherBits, e.Bits & ~AddressFieldMask);
        Assert.Equal(Effective(flags), e.Flags);
        Assert.Equal(LeafIsHuge(huge), e.IsHuge);
        Assert.True(e.IsPresent);
    }

    [Theory]
    [MemberData(nameof(ProtNoneLeaves), DisableDiscoveryEnumeration = TheoryRows.OneTestPerTheory)]
    public void Prot_none_leaf_is_invalid_for_the_hardware_and_keeps_address_size_and_flags(MappingFlags flags, PageSize size)
    {
        bool huge = size != PageSize.Size4K;
        TPte e = TPte.NewPage(PaFor(size), flags, huge);

        Assert.Equal(0UL, e.Bits & ValidBit);
        Assert.False(e.IsPresent);
        Assert.True(e.IsProtNone);
        Assert.False(e.IsUnused);
        Assert.Equal(PaFor(size), e.Paddr);
        Assert.Equal(flags, e.Flags); // exactly as given: no implied Read, no memory type dropped
        Assert.Equal(LeafIsHuge(huge), e.IsHuge);
        Assert.Equal(e.Bits, TPte.NewPage(PaFor(size), e.Flags, huge).Bits);
    }

    [Fact]
    public void Prot_none_leaf_at_the_highest_address_keeps_it()
    {
        foreach (MappingFlags flags in AllProtNoneFlags)
        {
            TPte e = TPte.NewPage(new PhysAddr(MaxPaddr), flags, isHuge: false);
            Assert.Equal(new PhysAddr(MaxPaddr), e.Paddr);
            Assert.Equal(flags, e.Flags);
            Assert.True(e.IsProtNone);
        }
    }

    [Theory]
    [MemberData(nameof(ProtNoneLeaves), DisableDiscoveryEnumeration = TheoryRows.OneTestPerTheory)]
    public void SetFlags_takes_every_right_away_and_gives_them_back(MappingFlags flags, PageSize size)
    {
        bool huge = size != PageSize.Size4K;
        // From the valid leaf with the complement of the kept flags, so that every kept flag has to change.
        MappingFlags granted = MappingFlags.Read | MappingFlags.Write | MappingFlags.Execute
            | ((MappingFlags.User | MappingFlags.Device | MappingFlags.Uncached) & ~flags);
        TPte e = TPte.NewPage(PaFor(size), granted, huge);

        e.SetFlags(flags, huge);
        Assert.Equal(TPte.NewPage(PaFor(size), flags, huge).Bits, e.Bits);
        Assert.True(e.IsProtNone);
        Assert.False(e.IsPresent);
        Assert.Equal(flags, e.Flags);
        Assert.Equal(LeafIsHuge(huge), e.IsHuge);

        e.SetFlags(granted, huge);
        Assert.Equal(TPte.NewPage(PaFor(size), granted, huge).Bits, e.Bits);
        Assert.True(e.IsPresent);
        Assert.False(e.IsProtNone);
        Assert.Equal(Effective(granted), e.Flags);
        Assert.Equal(PaFor(size), e.Paddr);
    }

    [Theory]
    [MemberData(nameof(ProtNoneLeaves), DisableDiscoveryEnumeration = TheoryRows.OneTestPerTheory)]
    public void SetPaddr_keeps_a_prot_none_leaf_as_it_is(MappingFlags flags, PageSize size)
    {
        bool huge = size != PageSize.Size4K;
        TPte e = TPte.NewPage(PaFor(size), flags, huge);
        ulong otherBits = e.Bits & ~AddressFieldMask;

        e.SetPaddr(OtherPaFor(size));

        Assert.Equal(OtherPaFor(size), e.Paddr);
        Assert.Equal(otherBits, e.Bits & ~AddressFieldMask);
        Assert.True(e.IsProtNone);
        Assert.Equal(flags, e.Flags);
        Assert.Equal(LeafIsHuge(huge), e.IsHuge);
    }

    [Theory]
    [MemberData(nameof(Leaves), DisableDiscoveryEnumeration = TheoryRows.OneTestPerTheory)]
    public void Valid_leaves_are_not_prot_none_and_a_stale_one_is_no_entry_kind(MappingFlags flags, PageSize size)
    {
        bool huge = size != PageSize.Size4K;
        TPte e = TPte.NewPage(PaFor(size), flags, huge);
        Assert.False(e.IsProtNone);

        // The same leaf with the valid bit cleared (a stale value): neither valid, nor PROT_NONE, nor huge, no flags.
        TPte stale = FromBits(e.Bits & ~ValidBit);
        Assert.False(stale.IsUnused);
        Assert.False(stale.IsPresent);
        Assert.False(stale.IsProtNone);
        Assert.False(stale.IsHuge);
        Assert.Equal(MappingFlags.None, stale.Flags);
    }

    [Fact]
    public void Tables_and_empty_entries_are_not_prot_none()
    {
        Assert.False(TPte.Empty.IsProtNone);
        foreach (ulong pa in new[] { 0UL, 0x1000UL, 0x0000_1234_5678_9000UL, MaxPaddr })
            Assert.False(TPte.NewTable(new PhysAddr(pa)).IsProtNone, $"table at 0x{pa:x}");
    }

    /// <summary>Raw bits as an entry of the format.</summary>
    protected static TPte FromBits(ulong bits) => Unsafe.As<ulong, TPte>(ref bits);

    /// <summary>
    /// The walks test each level with <c>IsTablePointer</c>, a format's one-test shortcut for "present and not huge".
    /// It must agree with that definition on every value: each of the 4,096 settings of bits 11:0, alone and with each
    /// higher bit set, and 100,000 seeded random values.
    /// </summary>
    [Fact]
    public void IsTablePointer_agrees_with_present_and_not_huge_on_every_value()
    {
        var values = new List<ulong>();
        for (ulong low = 0; low < 0x1000; low++)
        {
            values.Add(low);
            for (int bit = 12; bit < 64; bit++) values.Add(low | 1UL << bit);
        }
        var rng = new Random(20261201);
        for (int i = 0; i < 100_000; i++) values.Add((ulong)rng.NextInt64() | (ulong)rng.Next(2) << 63);
        int tables = 0;
        foreach (ulong bits in values)
        {
            TPte e = FromBits(bits);
            bool expected = e.IsPresent && !e.IsHuge;
            if (EntryKind.IsTablePointer(e) != expected)
                Assert.Fail($"IsTablePointer(0x{bits:x16}) is {!expected}, but IsPresent is {e.IsPresent} and IsHuge is {e.IsHuge}");
            if (expected) tables++;
        }
        Assert.InRange(tables, values.Count / 32, values.Count - values.Count / 32); // both answers were drawn often
        Assert.True(EntryKind.IsTablePointer(TPte.NewTable(new PhysAddr(0x1000))));
        Assert.False(EntryKind.IsTablePointer(TPte.NewPage(PaFor(PageSize.Size2M), MappingFlags.Read, isHuge: true)));
        Assert.False(EntryKind.IsTablePointer(TPte.Empty));
    }

    [Fact]
    public void NewTable_is_present_not_huge_and_keeps_its_address()
    {
        foreach (ulong pa in new[] { 0UL, 0x1000UL, 0x0000_1234_5678_9000UL, MaxPaddr })
        {
            TPte e = TPte.NewTable(new PhysAddr(pa));
            Assert.True(e.IsPresent, $"table at 0x{pa:x} not present");
            Assert.False(e.IsUnused, $"table at 0x{pa:x} unused");
            Assert.False(e.IsHuge, $"table at 0x{pa:x} huge");
            Assert.Equal(new PhysAddr(pa), e.Paddr);
        }
    }

    [Fact]
    public void SetPaddr_on_a_table_keeps_it_a_table()
    {
        TPte e = TPte.NewTable(new PhysAddr(0x0000_1234_5678_9000));
        ulong otherBits = e.Bits & ~AddressFieldMask;

        e.SetPaddr(new PhysAddr(0x2000));

        Assert.Equal(new PhysAddr(0x2000), e.Paddr);
        Assert.Equal(otherBits, e.Bits & ~AddressFieldMask);
        Assert.True(e.IsPresent);
        Assert.False(e.IsHuge);
    }

    [Fact]
    public void Address_bits_outside_the_field_are_dropped()
    {
        // Bits 11:0 are never part of an address field; bit 63 is never one either.
        TPte e = TPte.NewPage(new PhysAddr(0x8000_0000_0000_5fff), MappingFlags.Read, isHuge: false);
        Assert.Equal(new PhysAddr(0x5000), e.Paddr);
        TPte t = TPte.NewTable(new PhysAddr(0x0000_0000_0000_3abc));
        Assert.Equal(new PhysAddr(0x3000), t.Paddr);
    }

    [Fact]
    public void Empty_is_zero_unused_and_absent()
    {
        TPte e = TPte.Empty;
        Assert.Equal(0UL, e.Bits);
        Assert.True(e.IsUnused);
        Assert.False(e.IsPresent);
        Assert.False(e.IsHuge);
        Assert.Equal(MappingFlags.None, e.Flags);
        Assert.Equal(new PhysAddr(0), e.Paddr);
    }

    [Fact]
    public void Clear_zeroes_leaves_and_tables()
    {
        TPte leaf = TPte.NewPage(PaFor(PageSize.Size2M), MappingFlags.All, isHuge: true);
        leaf.Clear();
        Assert.Equal(0UL, leaf.Bits);
        Assert.True(leaf.IsUnused);

        TPte table = TPte.NewTable(new PhysAddr(0));
        table.Clear();
        Assert.Equal(0UL, table.Bits);
        Assert.False(table.IsPresent);
    }

    [Fact]
    public unsafe void Mutators_work_through_a_pointer()
    {
        TPte* slot = stackalloc TPte[1];
        *slot = TPte.NewPage(PaFor(PageSize.Size4K), MappingFlags.Read, isHuge: false);

        slot->SetFlags(MappingFlags.Read | MappingFlags.Write, isHuge: false);
        slot->SetPaddr(OtherPaFor(PageSize.Size4K));
        Assert.Equal(OtherPaFor(PageSize.Size4K), slot->Paddr);
        Assert.Equal(Effective(MappingFlags.Read | MappingFlags.Write), slot->Flags);

        slot->Clear();
        Assert.True(slot->IsUnused);
    }
}
