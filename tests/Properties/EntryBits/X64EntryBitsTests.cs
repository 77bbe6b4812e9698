using Xunit;

namespace PageTableMultiarch.Properties.EntryBits;

using static MappingFlags;

/// <summary>
/// x86-64 entries against Intel SDM Vol. 3A §4.5, Tables 4-15..4-20. Bit values used below:
/// P 0x1, R/W 0x2, U/S 0x4, PWT 0x8, PCD 0x10, A 0x20, D 0x40, PS 0x80, XD 1 &lt;&lt; 63, address 51:12.
/// </summary>
public sealed class X64EntryBitsTests : PteContractTests<X64Pte>
{
    protected override ulong AddressFieldMask => 0x000f_ffff_ffff_f000;

    protected override ulong MaxPaddr => 0x000f_ffff_ffff_f000;

    // P, bit 0 (SDM Vol. 3A Tables 4-15..4-20).
    protected override ulong ValidBit => 0x1;

    // Read is always reported; Device wins over Uncached.
    protected override MappingFlags Effective(MappingFlags flags)
    {
        MappingFlags f = flags | Read;
        return (f & Device) != 0 ? f & ~Uncached : f;
    }

    public static TheoryData<ulong, MappingFlags, bool, ulong> ManualLeaves => new()
    {
        // P|A|D = 0x61, XD
        { 0x0000_1234_5678_9000, Read, false, 0x8000_1234_5678_9061 },
        // P|R/W|A|D = 0x63, no XD
        { 0x0000_1234_5678_9000, Read | Write | Execute, false, 0x0000_1234_5678_9063 },
        // P|R/W|U/S|A|D = 0x67, XD
        { 0x0000_1234_5678_9000, Read | Write | User, false, 0x8000_1234_5678_9067 },
        // P|U/S|A|D = 0x65, no XD
        { 0x0000_1234_5678_9000, Read | Execute | User, false, 0x0000_1234_5678_9065 },
        // P|R/W|PWT|PCD|A|D = 0x7b (PAT index 3, UC), XD
        { 0x0000_1234_5678_9000, Read | Write | Device, false, 0x8000_1234_5678_907b },
        // P|PCD|A|D = 0x71 (PAT index 2, UC-), XD
        { 0x0000_1234_5678_9000, Read | Uncached, false, 0x8000_1234_5678_9071 },
        // Device wins: P|PWT|PCD|A|D = 0x79, XD
        { 0x0000_1234_5678_9000, Read | Device | Uncached, false, 0x8000_1234_5678_9079 },
        // every flag: P|R/W|U/S|PWT|PCD|A|D = 0x7f, no XD
        { 0x0000_1234_5678_9000, All, false, 0x0000_1234_5678_907f },
        // 2M: P|R/W|U/S|A|D|PS = 0xe7, no XD
        { 0x0000_00ab_cde0_0000, Read | Write | Execute | User, true, 0x0000_00ab_cde0_00e7 },
        // 2M: P|U/S|PWT|PCD|A|D|PS = 0xfd, XD
        { 0x0000_00ab_cde0_0000, Read | User | Device, true, 0x8000_00ab_cde0_00fd },
        // 1G: P|A|D|PS = 0xe1, no XD
        { 0x0000_0040_c000_0000, Read | Execute, true, 0x0000_0040_c000_00e1 },
        // highest address, bits 51:12 all set: P|R/W|U/S|A|D = 0x67, no XD
        { 0x000f_ffff_ffff_f000, Read | Write | Execute | User, false, 0x000f_ffff_ffff_f067 },
    };

    [Theory]
    [MemberData(nameof(ManualLeaves))]
    public void NewPage_bits_match_the_manual(ulong pa, MappingFlags flags, bool huge, ulong expected)
    {
        Assert.Equal(expected, X64Pte.NewPage(new PhysAddr(pa), flags, huge).Bits);
    }

    [Theory]
    // P|R/W|U/S = 0x7 and the address
    [InlineData(0x0000_1234_5678_9000, 0x0000_1234_5678_9007)]
    [InlineData(0x0000_0000_0000_0000, 0x0000_0000_0000_0007)]
    [InlineData(0x000f_ffff_ffff_f000, 0x000f_ffff_ffff_f007)]
    public void NewTable_bits_match_the_manual(ulong pa, ulong expected)
    {
        Assert.Equal(expected, X64Pte.NewTable(new PhysAddr(pa)).Bits);
    }

    [Theory]
    // a table entry (P|R/W|U/S) grants everything
    [InlineData(0x0000_1234_5678_9007, Read | Write | Execute | User)]
    // P|PWT|XD: write-through alone has no flag
    [InlineData(0x8000_0000_0000_1009, Read)]
    // R/W|U/S|A|D without P: absent
    [InlineData(0x0000_1234_5678_9066, None)]
    // P|PCD|PS with XD clear: a UC- 2M page
    [InlineData(0x0000_0000_0020_0091, Read | Execute | Uncached)]
    public void Decodes_hand_written_entries(ulong bits, MappingFlags expected)
    {
        Assert.Equal(expected, X64Pte.FromBits(bits).Flags);
    }

    [Fact]
    public void A_4K_entry_with_the_PAT_position_clear_is_not_huge_and_PS_without_P_is_not_huge()
    {
        Assert.False(X64Pte.FromBits(0x0000_0000_0000_1063).IsHuge); // P|R/W|A|D
        Assert.False(X64Pte.FromBits(0x0000_0000_0020_0080).IsHuge); // PS alone
        Assert.True(X64Pte.FromBits(0x0000_0000_0020_0081).IsHuge);  // P|PS
    }

    [Fact]
    public void Metadata_matches_4_level_paging()
    {
        Assert.Equal(4, X64PagingMetaData.Levels);
        Assert.Equal(52, X64PagingMetaData.PaMaxBits);
        Assert.Equal(48, X64PagingMetaData.VaMaxBits);
        X64PagingMetaData.FlushTlb(null);
        X64PagingMetaData.FlushTlb(new VirtAddr(0x1000));
    }

    [Theory]
    [InlineData(0x0000_0000_0000_0000, true)]
    [InlineData(0x0000_7fff_ffff_ffff, true)]
    [InlineData(0x0000_8000_0000_0000, false)]
    [InlineData(0xffff_7fff_ffff_ffff, false)]
    [InlineData(0xffff_8000_0000_0000, true)]
    [InlineData(0xffff_ffff_ffff_ffff, true)]
    [InlineData(0x0001_0000_0000_0000, false)]
    public void Canonical_addresses_sign_extend_bit_47(ulong va, bool valid)
    {
        Assert.Equal(valid, X64PagingMetaData.VaddrIsValid(va));
    }

    public static TheoryData<ulong, MappingFlags, bool, ulong> ManualProtNoneLeaves => new()
    {
        // P = 0, marker bit 9 = 0x200, nothing else
        { 0x0000_1234_5678_9000, None, false, 0x0000_1234_5678_9200 },
        // + U/S 0x4
        { 0x0000_1234_5678_9000, User, false, 0x0000_1234_5678_9204 },
        // + bit 10 (Device) and bit 11 (Uncached), both kept: 0xe00
        { 0x0000_1234_5678_9000, Device | Uncached, false, 0x0000_1234_5678_9e00 },
        // 2M: + PS 0x80, U/S, Device, Uncached: 0xe84
        { 0x0000_00ab_cde0_0000, User | Device | Uncached, true, 0x0000_00ab_cde0_0e84 },
        // 1G: marker and PS: 0x280
        { 0x0000_0040_c000_0000, None, true, 0x0000_0040_c000_0280 },
    };

    [Theory]
    [MemberData(nameof(ManualProtNoneLeaves))]
    public void Prot_none_bits_match_the_manual(ulong pa, MappingFlags flags, bool huge, ulong expected)
    {
        Assert.Equal(expected, X64Pte.NewPage(new PhysAddr(pa), flags, huge).Bits);
        Assert.Equal(flags, X64Pte.FromBits(expected).Flags);
    }

    [Fact]
    public void Prot_none_kinds_are_read_from_P_the_marker_and_PS()
    {
        Assert.True(X64Pte.FromBits(0x0000_0000_0020_0280).IsHuge);   // marker|PS
        Assert.True(X64Pte.FromBits(0x0000_0000_0020_0280).IsProtNone);
        Assert.False(X64Pte.FromBits(0x0000_0000_0020_0200).IsHuge);  // marker alone
        Assert.False(X64Pte.FromBits(0x0000_0000_0020_0281).IsProtNone); // P set: a present entry, whatever bit 9 says
        Assert.Equal(Read | Execute, X64Pte.FromBits(0x0000_0000_0020_0201).Flags); // present: bit 9 ignored
    }
}
