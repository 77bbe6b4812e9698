using Xunit;

namespace PageTableMultiarch.Properties.EntryBits;

using static MappingFlags;

/// <summary>
/// LoongArch64 entries against the LoongArch Reference Manual Vol. 1 v1.10, §5.4 (page-walking entry formats)
/// and §7.5 (TLBELO). Bit values used below: V 0x1, D 0x2, PLV=3 0xc, MAT CC 0x10 / WUC 0x20 / SUC 0,
/// HUGE 0x40, P 0x80, W 0x100, NR 1 &lt;&lt; 61, NX 1 &lt;&lt; 62, directory marker 1 &lt;&lt; 60, address 47:12.
/// Every leaf has V|P = 0x81.
/// </summary>
public sealed class La64EntryBitsTests : PteContractTests<La64Pte>
{
    protected override ulong AddressFieldMask => 0x0000_ffff_ffff_f000;

    protected override ulong MaxPaddr => 0x0000_ffff_ffff_f000;

    // V, bit 0 (§7.5 TLBELO).
    protected override ulong ValidBit => 0x1;

    // Device wins over Uncached; nothing else is dropped.
    protected override MappingFlags Effective(MappingFlags flags) =>
        (flags & Device) != 0 ? flags & ~Uncached : flags;

    public static TheoryData<ulong, MappingFlags, bool, ulong> ManualLeaves => new()
    {
        // V|P 0x81 | CC 0x10 = 0x91; NX
        { 0x0000_1234_5678_9000, Read, false, 0x4000_1234_5678_9091 },
        // V|P | CC | W 0x100 | D 0x2 = 0x193; no NX
        { 0x0000_1234_5678_9000, Read | Write | Execute, false, 0x0000_1234_5678_9193 },
        // 0x193 | PLV3 0xc = 0x19f; NX
        { 0x0000_1234_5678_9000, Read | Write | User, false, 0x4000_1234_5678_919f },
        // V|P | SUC 0 | W | D = 0x183; NX
        { 0x0000_1234_5678_9000, Read | Write | Device, false, 0x4000_1234_5678_9183 },
        // V|P | WUC 0x20 = 0xa1; NX
        { 0x0000_1234_5678_9000, Read | Uncached, false, 0x4000_1234_5678_90a1 },
        // Device wins: V|P | SUC = 0x81; NX
        { 0x0000_1234_5678_9000, Read | Device | Uncached, false, 0x4000_1234_5678_9081 },
        // every flag: V|P | SUC | W | D | PLV3 = 0x18f; no NX
        { 0x0000_1234_5678_9000, All, false, 0x0000_1234_5678_918f },
        // 2M: V|P | CC | W | D | PLV3 | HUGE 0x40 = 0x1df; no NX
        { 0x0000_00ab_cde0_0000, Read | Write | Execute | User, true, 0x0000_00ab_cde0_01df },
        // 2M: V|P | WUC | HUGE = 0xe1; NX
        { 0x0000_00ab_cde0_0000, Read | Uncached, true, 0x4000_00ab_cde0_00e1 },
        // 1G: V|P | CC | HUGE = 0xd1; no NX
        { 0x0000_0040_c000_0000, Read | Execute, true, 0x0000_0040_c000_00d1 },
        // highest address, bits 47:12 all set: 0x193; NX
        { 0x0000_ffff_ffff_f000, Read | Write, false, 0x4000_ffff_ffff_f193 },
    };

    [Theory]
    [MemberData(nameof(ManualLeaves))]
    public void NewPage_bits_match_the_manual(ulong pa, MappingFlags flags, bool huge, ulong expected)
    {
        Assert.Equal(expected, La64Pte.NewPage(new PhysAddr(pa), flags, huge).Bits);
    }

    [Theory]
    // the address, bits 11:0 clear (lddir ORs the index into them), and the bit-60 marker
    [InlineData(0x0000_1234_5678_9000, 0x1000_1234_5678_9000)]
    [InlineData(0x0000_0000_0000_0000, 0x1000_0000_0000_0000)]
    [InlineData(0x0000_ffff_ffff_f000, 0x1000_ffff_ffff_f000)]
    public void NewTable_bits_match_the_manual(ulong pa, ulong expected)
    {
        Assert.Equal(expected, La64Pte.NewTable(new PhysAddr(pa)).Bits);
    }

    [Theory]
    // a directory entry grants nothing (V clear)
    [InlineData(0x1000_1234_5678_9000, None)]
    // MAT = 3 (reserved, 0x30): no memory-type flag; V|P|MAT3 = 0xb1, no NX
    [InlineData(0x0000_0000_0000_10b1, Read | Execute)]
    // NR set: V|P|CC = 0x91 with NR, no NX
    [InlineData(0x2000_0000_0000_1091, Execute)]
    // PLV = 1 (0x4) is not user: V|P|CC|PLV1 = 0x95, NX
    [InlineData(0x4000_0000_0000_1095, Read)]
    // P|CC without V: absent
    [InlineData(0x0000_0000_0000_1090, None)]
    public void Decodes_hand_written_entries(ulong bits, MappingFlags expected)
    {
        Assert.Equal(expected, La64Pte.FromBits(bits).Flags);
    }

    [Fact]
    public void Presence_and_hugeness_of_hand_written_entries()
    {
        Assert.True(La64Pte.FromBits(0x1000_0000_0000_0000).IsPresent);  // directory at 0
        Assert.False(La64Pte.FromBits(0x1000_0000_0000_0000).IsHuge);
        Assert.True(La64Pte.FromBits(0x0000_0000_0020_00d1).IsHuge);     // V|P|CC|HUGE
        Assert.False(La64Pte.FromBits(0x0000_0000_0020_00d0).IsHuge);    // HUGE without V
        Assert.False(La64Pte.FromBits(0x0000_0000_0020_0090).IsPresent); // P without V
    }

    [Fact]
    public void Metadata_matches_the_assumed_walk_geometry()
    {
        Assert.Equal(4, La64PagingMetaData.Levels);
        Assert.Equal(48, La64PagingMetaData.PaMaxBits);
        Assert.Equal(48, La64PagingMetaData.VaMaxBits);
        // PTbase 12 = 0xc, PTwidth 9 << 5 = 0x120, Dir1_base 21 << 10 = 0x5400, Dir1_width 9 << 15 = 0x4_8000,
        // Dir2_base 30 << 20 = 0x1e0_0000, Dir2_width 9 << 25 = 0x1200_0000, PTEWidth 0
        Assert.Equal(0x13e4_d52cu, La64PagingMetaData.Pwcl);
        // Dir3_base 39 = 0x27, Dir3_width 9 << 6 = 0x240, Dir4 0
        Assert.Equal(0x0000_0267u, La64PagingMetaData.Pwch);
        La64PagingMetaData.FlushTlb(null);
        La64PagingMetaData.FlushTlb(new VirtAddr(0x1000));
    }

    [Theory]
    [InlineData(0x0000_0000_0000_0000, true)]
    [InlineData(0x0000_7fff_ffff_ffff, true)]
    [InlineData(0x0000_8000_0000_0000, false)]
    [InlineData(0xffff_7fff_ffff_ffff, false)]
    [InlineData(0xffff_8000_0000_0000, true)]
    [InlineData(0x9000_0000_0000_0000, false)]
    public void Canonical_addresses_sign_extend_bit_47(ulong va, bool valid)
    {
        Assert.Equal(valid, La64PagingMetaData.VaddrIsValid(va));
    }

    public static TheoryData<ulong, MappingFlags, bool, ulong> ManualProtNoneLeaves => new()
    {
        // V = 0, P = 0, marker bit 9 = 0x200
        { 0x0000_1234_5678_9000, None, false, 0x0000_1234_5678_9200 },
        // + PLV = 3 (0xc)
        { 0x0000_1234_5678_9000, User, false, 0x0000_1234_5678_920c },
        // + bit 10 (Device) and bit 11 (Uncached), both kept
        { 0x0000_1234_5678_9000, Device | Uncached, false, 0x0000_1234_5678_9e00 },
        // huge: HUGE (0x40) stays, so LDDIR does not take it for a directory
        { 0x0000_00ab_cde0_0000, User | Device | Uncached, true, 0x0000_00ab_cde0_0e4c },
        { 0x0000_0040_c000_0000, None, true, 0x0000_0040_c000_0240 },
    };

    [Theory]
    [MemberData(nameof(ManualProtNoneLeaves))]
    public void Prot_none_bits_match_the_manual(ulong pa, MappingFlags flags, bool huge, ulong expected)
    {
        Assert.Equal(expected, La64Pte.NewPage(new PhysAddr(pa), flags, huge).Bits);
        Assert.Equal(flags, La64Pte.FromBits(expected).Flags);
    }

    [Fact]
    public void Prot_none_kinds_are_read_from_V_the_marker_and_HUGE()
    {
        Assert.True(La64Pte.FromBits(0x0000_0000_0020_0240).IsHuge);   // marker|HUGE
        Assert.False(La64Pte.FromBits(0x0000_0000_0020_0200).IsHuge);  // marker alone
        Assert.False(La64Pte.FromBits(0x0000_0000_0020_0040).IsHuge);  // HUGE alone: stale
        Assert.False(La64Pte.FromBits(0x0000_0000_0020_0241).IsProtNone); // V set
        Assert.True(La64Pte.FromBits(0x0000_0000_0020_0241).IsHuge);
    }
}
