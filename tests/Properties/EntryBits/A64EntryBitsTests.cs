using Xunit;

namespace PageTableMultiarch.Properties.EntryBits;

using static MappingFlags;

/// <summary>
/// AArch64 stage 1 descriptors (4K granule) against the Arm ARM, D8.3 and D8.4, with MAIR_EL1 = 0x44ff04.
/// Bit values used below: valid 0x1, table/page 0x2, AttrIndx 1 = 0x4, AttrIndx 2 = 0x8, AP[1] (EL0) 0x40,
/// AP[2] (read-only) 0x80, SH = 0b11 0x300, AF 0x400, nG 0x800, PXN 1 &lt;&lt; 53, UXN 1 &lt;&lt; 54, address 47:12.
/// Every leaf has SH|AF|nG = 0xf00; a page adds 0x3 (0xf03), a block 0x1 (0xf01).
/// </summary>
public sealed class A64EntryBitsTests : PteContractTests<A64Pte>
{
    protected override ulong AddressFieldMask => 0x0000_ffff_ffff_f000;

    protected override ulong MaxPaddr => 0x0000_ffff_ffff_f000;

    // Bit 0, valid descriptor (D8.3).
    protected override ulong ValidBit => 0x1;

    // Device wins over Uncached; nothing else is dropped.
    protected override MappingFlags Effective(MappingFlags flags) =>
        (flags & Device) != 0 ? flags & ~Uncached : flags;

    public static TheoryData<ulong, MappingFlags, bool, ulong> ManualLeaves => new()
    {
        // page 0xf03 | Attr1 0x4 | RO 0x80 = 0xf87; PXN|UXN
        { 0x0000_1234_5678_9000, Read, false, 0x0060_1234_5678_9f87 },
        // page 0xf03 | Attr1 0x4 = 0xf07; UXN only (EL1 may execute)
        { 0x0000_1234_5678_9000, Read | Write | Execute, false, 0x0040_1234_5678_9f07 },
        // page 0xf03 | Attr1 0x4 | EL0 0x40 = 0xf47; PXN|UXN
        { 0x0000_1234_5678_9000, Read | Write | User, false, 0x0060_1234_5678_9f47 },
        // page 0xf03 | Attr1 0x4 | EL0 0x40 | RO 0x80 = 0xfc7; PXN only (EL0 may execute)
        { 0x0000_1234_5678_9000, Read | Execute | User, false, 0x0020_1234_5678_9fc7 },
        // page 0xf03 | Attr0 (Device-nGnRE) = 0xf03; PXN|UXN
        { 0x0000_1234_5678_9000, Read | Write | Device, false, 0x0060_1234_5678_9f03 },
        // page 0xf03 | Attr2 0x8 | RO 0x80 = 0xf8b; PXN|UXN
        { 0x0000_1234_5678_9000, Read | Uncached, false, 0x0060_1234_5678_9f8b },
        // Device wins: page 0xf03 | Attr0 | RO 0x80 = 0xf83; PXN|UXN
        { 0x0000_1234_5678_9000, Read | Device | Uncached, false, 0x0060_1234_5678_9f83 },
        // every flag: page 0xf03 | Attr0 | EL0 0x40 = 0xf43; PXN only
        { 0x0000_1234_5678_9000, All, false, 0x0020_1234_5678_9f43 },
        // 2M block 0xf01 | Attr1 0x4 | EL0 0x40 = 0xf45; PXN only
        { 0x0000_00ab_cde0_0000, Read | Write | Execute | User, true, 0x0020_00ab_cde0_0f45 },
        // 2M block 0xf01 | Attr2 0x8 = 0xf09; PXN|UXN
        { 0x0000_00ab_cde0_0000, Read | Write | Uncached, true, 0x0060_00ab_cde0_0f09 },
        // 1G block 0xf01 | Attr1 0x4 | RO 0x80 = 0xf85; UXN only
        { 0x0000_0040_c000_0000, Read | Execute, true, 0x0040_0040_c000_0f85 },
        // highest address, bits 47:12 all set: page 0xf03 | Attr1 0x4 = 0xf07; PXN|UXN
        { 0x0000_ffff_ffff_f000, Read | Write, false, 0x0060_ffff_ffff_ff07 },
    };

    [Theory]
    [MemberData(nameof(ManualLeaves))]
    public void NewPage_bits_match_the_manual(ulong pa, MappingFlags flags, bool huge, ulong expected)
    {
        Assert.Equal(expected, A64Pte.NewPage(new PhysAddr(pa), flags, huge).Bits);
    }

    [Theory]
    // bits 1:0 = 0b11 and the address; APTable, XNTable, PXNTable all 0
    [InlineData(0x0000_1234_5678_9000, 0x0000_1234_5678_9003)]
    [InlineData(0x0000_0000_0000_0000, 0x0000_0000_0000_0003)]
    [InlineData(0x0000_ffff_ffff_f000, 0x0000_ffff_ffff_f003)]
    public void NewTable_bits_match_the_manual(ulong pa, ulong expected)
    {
        Assert.Equal(expected, A64Pte.NewTable(new PhysAddr(pa)).Bits);
    }

    [Theory]
    // a table descriptor's zero attribute fields read as an EL1 RWX Device page
    [InlineData(0x0000_1234_5678_9003, Read | Write | Execute | Device)]
    // AttrIndx 3 (0xc), unused by this MAIR: no memory-type flag; 0xf03|0xc|RO = 0xf8f; PXN|UXN
    [InlineData(0x0060_0000_0000_1f8f, Read)]
    // valid bit clear: absent whatever the rest says
    [InlineData(0x0060_0000_0000_1f86, None)]
    // EL0 page with both XN clear: EL0 may execute (UXN decides for an EL0 page)
    [InlineData(0x0000_0000_0000_1f47, Read | Write | Execute | User)]
    // EL0 page with UXN set and PXN clear: not executable from EL0
    [InlineData(0x0040_0000_0000_1f47, Read | Write | User)]
    public void Decodes_hand_written_descriptors(ulong bits, MappingFlags expected)
    {
        Assert.Equal(expected, A64Pte.FromBits(bits).Flags);
    }

    [Fact]
    public void A_block_is_valid_with_bit_1_clear()
    {
        Assert.True(A64Pte.FromBits(0x0000_0000_0020_0f05).IsHuge);  // valid, bit 1 clear
        Assert.False(A64Pte.FromBits(0x0000_0000_0020_0f04).IsHuge); // invalid
        Assert.False(A64Pte.FromBits(0x0000_0000_0020_0f07).IsHuge); // page or table
    }

    [Fact]
    public void Metadata_matches_the_4K_granule_with_48_bit_addresses()
    {
        Assert.Equal(4, A64PagingMetaData.Levels);
        Assert.Equal(48, A64PagingMetaData.PaMaxBits);
        Assert.Equal(48, A64PagingMetaData.VaMaxBits);
        // Attr2 = 0x44 (Normal NC), Attr1 = 0xff (Normal WB RW-allocate), Attr0 = 0x04 (Device-nGnRE)
        Assert.Equal(0x0000_0000_0044_ff04UL, A64PagingMetaData.MairEl1);
        A64PagingMetaData.FlushTlb(null);
        A64PagingMetaData.FlushTlb(new VirtAddr(0xffff_8000_0000_0000));
    }

    [Theory]
    [InlineData(0x0000_0000_0000_0000, true)]
    [InlineData(0x0000_7fff_ffff_ffff, true)]
    [InlineData(0x0000_8000_0000_0000, false)]
    [InlineData(0xffff_8000_0000_0000, true)]
    [InlineData(0xffff_ffff_ffff_ffff, true)]
    // (departure) the seed's 0xffff-prefix rule accepted these; sign extension does not
    [InlineData(0xffff_0000_0000_0000, false)]
    [InlineData(0xffff_7fff_ffff_f000, false)]
    public void Canonical_addresses_sign_extend_bit_47(ulong va, bool valid)
    {
        Assert.Equal(valid, A64PagingMetaData.VaddrIsValid(va));
    }

    public static TheoryData<ulong, MappingFlags, bool, ulong> ManualProtNoneLeaves => new()
    {
        // page: bit 0 = 0, bit 1 = 1 (page), marker bit 55
        { 0x0000_1234_5678_9000, None, false, 0x0080_1234_5678_9002 },
        // + AP[1] 0x40 for User
        { 0x0000_1234_5678_9000, User, false, 0x0080_1234_5678_9042 },
        // + bits 56 (Device) and 57 (Uncached)
        { 0x0000_1234_5678_9000, Device | Uncached, false, 0x0380_1234_5678_9002 },
        // block: bit 1 = 0
        { 0x0000_00ab_cde0_0000, User | Device | Uncached, true, 0x0380_00ab_cde0_0040 },
        { 0x0000_0040_c000_0000, None, true, 0x0080_0040_c000_0000 },
    };

    [Theory]
    [MemberData(nameof(ManualProtNoneLeaves))]
    public void Prot_none_bits_match_the_manual(ulong pa, MappingFlags flags, bool huge, ulong expected)
    {
        Assert.Equal(expected, A64Pte.NewPage(new PhysAddr(pa), flags, huge).Bits);
        Assert.Equal(flags, A64Pte.FromBits(expected).Flags);
    }

    [Fact]
    public void Prot_none_kinds_are_read_from_bit_0_the_marker_and_bit_1()
    {
        Assert.True(A64Pte.FromBits(0x0080_0000_0020_0000).IsHuge);   // marker, bit 1 clear: a block
        Assert.False(A64Pte.FromBits(0x0080_0000_0020_0002).IsHuge);  // marker, bit 1 set: a page
        Assert.False(A64Pte.FromBits(0x0000_0000_0020_0000).IsHuge);  // no marker: nothing
        Assert.False(A64Pte.FromBits(0x0080_0000_0020_0001).IsProtNone); // valid: a block, whatever bit 55 says
        Assert.True(A64Pte.FromBits(0x0080_0000_0020_0001).IsHuge);
    }
}
