using Xunit;

namespace PageTableMultiarch.Properties.EntryBits;

using static MappingFlags;

/// <summary>
/// RV64 Sv39/Sv48 entries against the RISC-V Privileged Architecture, Supervisor-Level ISA, "Sv39" and "Sv48".
/// Bit values used below: V 0x1, R 0x2, W 0x4, X 0x8, U 0x10, G 0x20, A 0x40, D 0x80, PPN in 53:10 holding
/// address bits 55:12 (so the field is the address shifted right by 2). Every leaf has V|R|A|D = 0xc3.
/// </summary>
public sealed class RiscVEntryBitsTests : PteContractTests<RiscVPte>
{
    protected override ulong AddressFieldMask => 0x003f_ffff_ffff_fc00;

    protected override ulong MaxPaddr => 0x00ff_ffff_ffff_f000;

    // V, bit 0 (Sv39 PTE format).
    protected override ulong ValidBit => 0x1;

    // Memory types come from the PMAs: Device and Uncached are dropped.
    protected override MappingFlags Effective(MappingFlags flags) => flags & ~(Device | Uncached);

    // Nothing in a leaf tells 4K from a superpage: every valid leaf reads as huge.
    protected override bool LeafIsHuge(bool isHuge) => true;

    public static TheoryData<ulong, MappingFlags, bool, ulong> ManualLeaves => new()
    {
        // PPN field 0x48d_159e_2400 (0x1234_5678_9000 >> 2) | V|R|A|D 0xc3
        { 0x0000_1234_5678_9000, Read, false, 0x0000_048d_159e_24c3 },
        // | W 0x4 | X 0x8 = 0xcf
        { 0x0000_1234_5678_9000, Read | Write | Execute, false, 0x0000_048d_159e_24cf },
        // | W 0x4 | U 0x10 = 0xd7
        { 0x0000_1234_5678_9000, Read | Write | User, false, 0x0000_048d_159e_24d7 },
        // Device is not encoded: | W 0x4 = 0xc7
        { 0x0000_1234_5678_9000, Read | Write | Device, false, 0x0000_048d_159e_24c7 },
        // Uncached is not encoded: 0xc3
        { 0x0000_1234_5678_9000, Read | Uncached, false, 0x0000_048d_159e_24c3 },
        // every flag: | W | X | U = 0xdf
        { 0x0000_1234_5678_9000, All, false, 0x0000_048d_159e_24df },
        // 2M superpage, field 0x2a_f378_0000 (0xab_cde0_0000 >> 2) | 0xdf; no bit marks it huge
        { 0x0000_00ab_cde0_0000, Read | Write | Execute | User, true, 0x0000_002a_f378_00df },
        // 1G superpage, field 0x10_3000_0000 (0x40_c000_0000 >> 2) | X 0x8 = 0xcb
        { 0x0000_0040_c000_0000, Read | Execute, true, 0x0000_0010_3000_00cb },
        // highest address (bits 55:12 set): field 0x3f_ffff_ffff_fc00 | W = 0xc7; bits 63:54 stay 0
        { 0x00ff_ffff_ffff_f000, Read | Write, false, 0x003f_ffff_ffff_fcc7 },
    };

    [Theory]
    [MemberData(nameof(ManualLeaves))]
    public void NewPage_bits_match_the_manual(ulong pa, MappingFlags flags, bool huge, ulong expected)
    {
        Assert.Equal(expected, RiscVPte.NewPage(new PhysAddr(pa), flags, huge).Bits);
    }

    [Theory]
    // V only (R = W = X = 0 makes it a pointer; D, A, U reserved and clear) and the PPN
    [InlineData(0x0000_1234_5678_9000, 0x0000_048d_159e_2401)]
    [InlineData(0x0000_0000_0000_0000, 0x0000_0000_0000_0001)]
    [InlineData(0x00ff_ffff_ffff_f000, 0x003f_ffff_ffff_fc01)]
    public void NewTable_bits_match_the_manual(ulong pa, ulong expected)
    {
        Assert.Equal(expected, RiscVPte.NewTable(new PhysAddr(pa)).Bits);
    }

    [Theory]
    // a pointer grants nothing
    [InlineData(0x0000_0000_0000_0401, None)]
    // a pointer with the reserved U bit is still a pointer
    [InlineData(0x0000_0000_0000_0411, None)]
    // R|W|X|A|D without V: invalid
    [InlineData(0x0000_0000_0000_04ce, None)]
    // an execute-only leaf (written by someone else) decodes without Read
    [InlineData(0x0000_0000_0000_04c9, Execute)]
    // Svpbmt PBMT = IO (bits 62:61 = 0b10) is not decoded: no Device
    [InlineData(0x4000_0000_0000_04c3, Read)]
    public void Decodes_hand_written_entries(ulong bits, MappingFlags expected)
    {
        Assert.Equal(expected, RiscVPte.FromBits(bits).Flags);
    }

    [Fact]
    public void Leaves_are_the_valid_entries_with_R_W_or_X()
    {
        Assert.True(RiscVPte.FromBits(0x0000_0000_0000_04c3).IsHuge);  // V|R|A|D
        Assert.True(RiscVPte.FromBits(0x0000_0000_0000_04c9).IsHuge);  // V|X|A|D
        Assert.False(RiscVPte.FromBits(0x0000_0000_0000_0401).IsHuge); // pointer
        Assert.False(RiscVPte.FromBits(0x0000_0000_0000_04c2).IsHuge); // R without V
    }

    [Fact]
    public void Sv39_metadata()
    {
        Assert.Equal(3, Sv39PagingMetaData.Levels);
        Assert.Equal(56, Sv39PagingMetaData.PaMaxBits);
        Assert.Equal(39, Sv39PagingMetaData.VaMaxBits);
        Assert.Equal(8UL, Sv39PagingMetaData.SatpMode);
        Sv39PagingMetaData.FlushTlb(null);
        Sv39PagingMetaData.FlushTlb(new VirtAddr(0x1000));
    }

    [Fact]
    public void Sv48_metadata()
    {
        Assert.Equal(4, Sv48PagingMetaData.Levels);
        Assert.Equal(56, Sv48PagingMetaData.PaMaxBits);
        Assert.Equal(48, Sv48PagingMetaData.VaMaxBits);
        Assert.Equal(9UL, Sv48PagingMetaData.SatpMode);
        Sv48PagingMetaData.FlushTlb(null);
        Sv48PagingMetaData.FlushTlb(new VirtAddr(0x1000));
    }

    [Theory]
    [InlineData(0x0000_0000_0000_0000, true)]
    [InlineData(0x0000_003f_ffff_ffff, true)]
    [InlineData(0x0000_0040_0000_0000, false)]
    [InlineData(0xffff_ffbf_ffff_ffff, false)]
    [InlineData(0xffff_ffc0_0000_0000, true)]
    [InlineData(0xffff_ffff_ffff_ffff, true)]
    [InlineData(0x0000_7fff_ffff_ffff, false)]
    public void Sv39_addresses_sign_extend_bit_38(ulong va, bool valid)
    {
        Assert.Equal(valid, Sv39PagingMetaData.VaddrIsValid(va));
    }

    [Theory]
    [InlineData(0x0000_7fff_ffff_ffff, true)]
    [InlineData(0x0000_8000_0000_0000, false)]
    [InlineData(0xffff_7fff_ffff_ffff, false)]
    [InlineData(0xffff_8000_0000_0000, true)]
    [InlineData(0xffff_ffc0_0000_0000, true)]
    public void Sv48_addresses_sign_extend_bit_47(ulong va, bool valid)
    {
        Assert.Equal(valid, Sv48PagingMetaData.VaddrIsValid(va));
    }

    public static TheoryData<ulong, MappingFlags, bool, ulong> ManualProtNoneLeaves => new()
    {
        // V = 0, RSW bit 8 = 0x100, PPN = pa >> 12 at bit 10
        { 0x0000_1234_5678_9000, None, false, 0x0000_048d_159e_2500 },
        // + U 0x10
        { 0x0000_1234_5678_9000, User, false, 0x0000_048d_159e_2510 },
        // + bit 62 (Device) and bit 61 (Uncached), both kept
        { 0x0000_1234_5678_9000, Device | Uncached, false, 0x6000_048d_159e_2500 },
        // a superpage is written the same way (the level tells the size)
        { 0x0000_00ab_cde0_0000, User | Device, true, 0x4000_002a_f378_0110 },
    };

    [Theory]
    [MemberData(nameof(ManualProtNoneLeaves))]
    public void Prot_none_bits_match_the_manual(ulong pa, MappingFlags flags, bool huge, ulong expected)
    {
        Assert.Equal(expected, RiscVPte.NewPage(new PhysAddr(pa), flags, huge).Bits);
        Assert.Equal(flags, RiscVPte.FromBits(expected).Flags);
    }

    [Fact]
    public void A_prot_none_leaf_is_never_a_pointer()
    {
        // V=1 with R=W=X=0 is a pointer; the PROT_NONE leaf has V=0 instead.
        RiscVPte e = RiscVPte.NewPage(new PhysAddr(0x8000_0000), None, false);
        Assert.Equal(0x0000_0000_2000_0100UL, e.Bits);
        Assert.False(e.IsPresent);
        Assert.True(e.IsHuge);
        Assert.False(RiscVPte.FromBits(0x0000_0000_2000_0101).IsProtNone); // V set: a pointer, whatever RSW says
        Assert.False(RiscVPte.FromBits(0x0000_0000_2000_0101).IsHuge);
        Assert.Equal(None, RiscVPte.FromBits(0x0000_0000_2000_0101).Flags);
    }
}
