using PageTableModel.Hardware;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>
/// Golden vectors for <see cref="A64Walker"/>, worked out from Arm ARM DDI 0487 D8.3 (VMSAv8-64 descriptor
/// formats, 4 KB granule, 48-bit OA), D8.4 (AP[2:1], PXN, UXN, AF; APTable, UXNTable, PXNTable) and D8.6 with the
/// MAIR_EL1 register description (AttrIndx into MAIR_EL1, by default the library's 0x44ff04: Attr0=0x04, Attr1=0xFF,
/// Attr2=0x44, Attr3..7=0x00; shareability).
/// </summary>
/// <remarks>
/// Every test walks va 0x0000_0080_8060_4abc: level 0 index (bits 47:39) 1, level 1 index (38:30) 2, level 2 index
/// (29:21) 3, level 3 index (20:12) 4, offset 0xabc. Tables: level 0 (root) at 0x1000, level 1 at 0x2000, level 2 at
/// 0x3000, level 3 at 0x4000. Descriptor bits: 0 valid, 1 table/page (0 = block), 4:2 AttrIndx, 7:6 AP[2:1],
/// 9:8 SH, 10 AF, 11 nG, 47:12 address, 52 Contiguous, 53 PXN, 54 UXN; table descriptors: 59 PXNTable,
/// 60 UXNTable, 62:61 APTable.
/// </remarks>
public sealed class A64WalkerTests
{
    private const ulong Root = 0x1000;
    private const ulong Va = 0x0000_0080_8060_4abc;
    private const ulong L0Table = 0x0000_0000_0000_2003; // valid|table, level 1 table at 0x2000
    private const ulong L1Table = 0x0000_0000_0000_3003; // valid|table, level 2 table at 0x3000
    private const ulong L2Table = 0x0000_0000_0000_4003; // valid|table, level 3 table at 0x4000
    private const ulong UserRwPage = 0x0000_fedc_ba98_7747; // valid|page|AttrIndx=1|AP[2:1]=01|SH=11|AF, PXN=UXN=0

    private static readonly A64Walker Walker = new();

    private static Translation Expected(int leafLevel, MemoryType memory) => leafLevel switch
    {
        3 => new(0x0000_fedc_ba98_7abc, 0x1000, memory),      // page 0xfedc_ba98_7000 + 0xabc
        2 => new(0x0000_fedc_ba80_4abc, 0x20_0000, memory),   // 2 MB block 0xfedc_ba80_0000 + 0x4abc
        _ => new(0x0000_00fe_8060_4abc, 0x4000_0000, memory), // 1 GB block 0xfe_8000_0000 + 0x60_4abc
    };

    private static FrameMemory WithLeaf(int leafLevel, ulong leaf, ulong l0 = L0Table, ulong l1 = L1Table, ulong l2 = L2Table)
    {
        var memory = new FrameMemory().Entry(0x1000, 1, leafLevel == 0 ? leaf : l0);
        if (leafLevel >= 1)
        {
            memory.Entry(0x2000, 2, leafLevel == 1 ? leaf : l1);
        }

        if (leafLevel >= 2)
        {
            memory.Entry(0x3000, 3, leafLevel == 2 ? leaf : l2);
        }

        if (leafLevel == 3)
        {
            memory.Entry(0x4000, 4, leaf);
        }

        return memory;
    }

    // Level 3 page descriptors, output 0x0000_fedc_ba98_7000: the library's encodings of every flag combination.
    // Kernel pages carry UXN (EL0 could otherwise execute them), user-executable pages carry PXN.
    [Theory]
    [InlineData(0x0060_fedc_ba98_7787UL, "r--", "---", MemoryType.NormalCacheable)] // valid|page|AttrIndx=1|AP[2:1]=10|SH=11|AF|PXN|UXN: kernel R, AttrIndx 1 = Normal WB
    [InlineData(0x0040_fedc_ba98_7787UL, "r-x", "---", MemoryType.NormalCacheable)] // valid|page|AttrIndx=1|AP[2:1]=10|SH=11|AF|UXN: kernel RX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_fedc_ba98_7707UL, "rw-", "---", MemoryType.NormalCacheable)] // valid|page|AttrIndx=1|AP[2:1]=00|SH=11|AF|PXN|UXN: kernel RW, AttrIndx 1 = Normal WB
    [InlineData(0x0040_fedc_ba98_7707UL, "rwx", "---", MemoryType.NormalCacheable)] // valid|page|AttrIndx=1|AP[2:1]=00|SH=11|AF|UXN: kernel RWX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_fedc_ba98_77c7UL, "r--", "r--", MemoryType.NormalCacheable)] // valid|page|AttrIndx=1|AP[2:1]=11|SH=11|AF|PXN|UXN: user R, AttrIndx 1 = Normal WB
    [InlineData(0x0020_fedc_ba98_77c7UL, "r--", "r-x", MemoryType.NormalCacheable)] // valid|page|AttrIndx=1|AP[2:1]=11|SH=11|AF|PXN: user RX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_fedc_ba98_7747UL, "rw-", "rw-", MemoryType.NormalCacheable)] // valid|page|AttrIndx=1|AP[2:1]=01|SH=11|AF|PXN|UXN: user RW, AttrIndx 1 = Normal WB
    [InlineData(0x0020_fedc_ba98_7747UL, "rw-", "rwx", MemoryType.NormalCacheable)] // valid|page|AttrIndx=1|AP[2:1]=01|SH=11|AF|PXN: user RWX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_fedc_ba98_778bUL, "r--", "---", MemoryType.NormalUncached)] // valid|page|AttrIndx=2|AP[2:1]=10|SH=11|AF|PXN|UXN: kernel R, AttrIndx 2 = Normal NC
    [InlineData(0x0040_fedc_ba98_778bUL, "r-x", "---", MemoryType.NormalUncached)] // valid|page|AttrIndx=2|AP[2:1]=10|SH=11|AF|UXN: kernel RX, AttrIndx 2 = Normal NC
    [InlineData(0x0060_fedc_ba98_770bUL, "rw-", "---", MemoryType.NormalUncached)] // valid|page|AttrIndx=2|AP[2:1]=00|SH=11|AF|PXN|UXN: kernel RW, AttrIndx 2 = Normal NC
    [InlineData(0x0040_fedc_ba98_770bUL, "rwx", "---", MemoryType.NormalUncached)] // valid|page|AttrIndx=2|AP[2:1]=00|SH=11|AF|UXN: kernel RWX, AttrIndx 2 = Normal NC
    [InlineData(0x0060_fedc_ba98_77cbUL, "r--", "r--", MemoryType.NormalUncached)] // valid|page|AttrIndx=2|AP[2:1]=11|SH=11|AF|PXN|UXN: user R, AttrIndx 2 = Normal NC
    [InlineData(0x0020_fedc_ba98_77cbUL, "r--", "r-x", MemoryType.NormalUncached)] // valid|page|AttrIndx=2|AP[2:1]=11|SH=11|AF|PXN: user RX, AttrIndx 2 = Normal NC
    [InlineData(0x0060_fedc_ba98_774bUL, "rw-", "rw-", MemoryType.NormalUncached)] // valid|page|AttrIndx=2|AP[2:1]=01|SH=11|AF|PXN|UXN: user RW, AttrIndx 2 = Normal NC
    [InlineData(0x0020_fedc_ba98_774bUL, "rw-", "rwx", MemoryType.NormalUncached)] // valid|page|AttrIndx=2|AP[2:1]=01|SH=11|AF|PXN: user RWX, AttrIndx 2 = Normal NC
    [InlineData(0x0060_fedc_ba98_7483UL, "r--", "---", MemoryType.Device)] // valid|page|AttrIndx=0|AP[2:1]=10|AF|PXN|UXN: kernel R, AttrIndx 0 = Device-nGnRE
    [InlineData(0x0040_fedc_ba98_7483UL, "r-x", "---", MemoryType.Device)] // valid|page|AttrIndx=0|AP[2:1]=10|AF|UXN: kernel RX, AttrIndx 0 = Device-nGnRE
    [InlineData(0x0060_fedc_ba98_7403UL, "rw-", "---", MemoryType.Device)] // valid|page|AttrIndx=0|AP[2:1]=00|AF|PXN|UXN: kernel RW, AttrIndx 0 = Device-nGnRE
    [InlineData(0x0040_fedc_ba98_7403UL, "rwx", "---", MemoryType.Device)] // valid|page|AttrIndx=0|AP[2:1]=00|AF|UXN: kernel RWX, AttrIndx 0 = Device-nGnRE
    [InlineData(0x0060_fedc_ba98_74c3UL, "r--", "r--", MemoryType.Device)] // valid|page|AttrIndx=0|AP[2:1]=11|AF|PXN|UXN: user R, AttrIndx 0 = Device-nGnRE
    [InlineData(0x0020_fedc_ba98_74c3UL, "r--", "r-x", MemoryType.Device)] // valid|page|AttrIndx=0|AP[2:1]=11|AF|PXN: user RX, AttrIndx 0 = Device-nGnRE
    [InlineData(0x0060_fedc_ba98_7443UL, "rw-", "rw-", MemoryType.Device)] // valid|page|AttrIndx=0|AP[2:1]=01|AF|PXN|UXN: user RW, AttrIndx 0 = Device-nGnRE
    [InlineData(0x0020_fedc_ba98_7443UL, "rw-", "rwx", MemoryType.Device)] // valid|page|AttrIndx=0|AP[2:1]=01|AF|PXN: user RWX, AttrIndx 0 = Device-nGnRE
    public void Page_4K(ulong page, string supervisor, string user, MemoryType memory) =>
        Expect.Permissions(Walker, WithLeaf(3, page), Root, Va, supervisor, user, Expected(3, memory), 3);

    // Level 2 block descriptors (bits 1:0 = 01), output 0x0000_fedc_ba80_0000 in bits 47:21.
    [Theory]
    [InlineData(0x0060_fedc_ba80_0785UL, "r--", "---", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=10|SH=11|AF|PXN|UXN: kernel R, AttrIndx 1 = Normal WB
    [InlineData(0x0040_fedc_ba80_0785UL, "r-x", "---", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=10|SH=11|AF|UXN: kernel RX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_fedc_ba80_0705UL, "rw-", "---", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=00|SH=11|AF|PXN|UXN: kernel RW, AttrIndx 1 = Normal WB
    [InlineData(0x0040_fedc_ba80_0705UL, "rwx", "---", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=00|SH=11|AF|UXN: kernel RWX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_fedc_ba80_07c5UL, "r--", "r--", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=11|SH=11|AF|PXN|UXN: user R, AttrIndx 1 = Normal WB
    [InlineData(0x0020_fedc_ba80_07c5UL, "r--", "r-x", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=11|SH=11|AF|PXN: user RX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_fedc_ba80_0745UL, "rw-", "rw-", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=01|SH=11|AF|PXN|UXN: user RW, AttrIndx 1 = Normal WB
    [InlineData(0x0020_fedc_ba80_0745UL, "rw-", "rwx", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=01|SH=11|AF|PXN: user RWX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_fedc_ba80_0709UL, "rw-", "---", MemoryType.NormalUncached)] // valid|block|AttrIndx=2|AP[2:1]=00|SH=11|AF|PXN|UXN: kernel RW, AttrIndx 2 = Normal NC
    [InlineData(0x0020_fedc_ba80_07c9UL, "r--", "r-x", MemoryType.NormalUncached)] // valid|block|AttrIndx=2|AP[2:1]=11|SH=11|AF|PXN: user RX, AttrIndx 2 = Normal NC
    [InlineData(0x0060_fedc_ba80_0401UL, "rw-", "---", MemoryType.Device)] // valid|block|AttrIndx=0|AP[2:1]=00|AF|PXN|UXN: kernel RW, AttrIndx 0 = Device-nGnRE
    [InlineData(0x0020_fedc_ba80_04c1UL, "r--", "r-x", MemoryType.Device)] // valid|block|AttrIndx=0|AP[2:1]=11|AF|PXN: user RX, AttrIndx 0 = Device-nGnRE
    public void Block_2M(ulong block, string supervisor, string user, MemoryType memory) =>
        Expect.Permissions(Walker, WithLeaf(2, block), Root, Va, supervisor, user, Expected(2, memory), 2);

    // Level 1 block descriptors, output 0x0000_00fe_8000_0000 in bits 47:30.
    [Theory]
    [InlineData(0x0060_00fe_8000_0785UL, "r--", "---", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=10|SH=11|AF|PXN|UXN: kernel R, AttrIndx 1 = Normal WB
    [InlineData(0x0040_00fe_8000_0785UL, "r-x", "---", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=10|SH=11|AF|UXN: kernel RX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_00fe_8000_0705UL, "rw-", "---", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=00|SH=11|AF|PXN|UXN: kernel RW, AttrIndx 1 = Normal WB
    [InlineData(0x0040_00fe_8000_0705UL, "rwx", "---", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=00|SH=11|AF|UXN: kernel RWX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_00fe_8000_07c5UL, "r--", "r--", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=11|SH=11|AF|PXN|UXN: user R, AttrIndx 1 = Normal WB
    [InlineData(0x0020_00fe_8000_07c5UL, "r--", "r-x", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=11|SH=11|AF|PXN: user RX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_00fe_8000_0745UL, "rw-", "rw-", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=01|SH=11|AF|PXN|UXN: user RW, AttrIndx 1 = Normal WB
    [InlineData(0x0020_00fe_8000_0745UL, "rw-", "rwx", MemoryType.NormalCacheable)] // valid|block|AttrIndx=1|AP[2:1]=01|SH=11|AF|PXN: user RWX, AttrIndx 1 = Normal WB
    [InlineData(0x0060_00fe_8000_0709UL, "rw-", "---", MemoryType.NormalUncached)] // valid|block|AttrIndx=2|AP[2:1]=00|SH=11|AF|PXN|UXN: kernel RW, AttrIndx 2 = Normal NC
    [InlineData(0x0020_00fe_8000_07c9UL, "r--", "r-x", MemoryType.NormalUncached)] // valid|block|AttrIndx=2|AP[2:1]=11|SH=11|AF|PXN: user RX, AttrIndx 2 = Normal NC
    [InlineData(0x0060_00fe_8000_0401UL, "rw-", "---", MemoryType.Device)] // valid|block|AttrIndx=0|AP[2:1]=00|AF|PXN|UXN: kernel RW, AttrIndx 0 = Device-nGnRE
    [InlineData(0x0020_00fe_8000_04c1UL, "r--", "r-x", MemoryType.Device)] // valid|block|AttrIndx=0|AP[2:1]=11|AF|PXN: user RX, AttrIndx 0 = Device-nGnRE
    public void Block_1G(ulong block, string supervisor, string user, MemoryType memory) =>
        Expect.Permissions(Walker, WithLeaf(1, block), Root, Va, supervisor, user, Expected(1, memory), 1);

    // What the MMU does with encodings the library does not write (D8.4 permission rules).
    [Theory]
    [InlineData(0x0000_fedc_ba98_7707UL, "rwx", "--x")] // AP[2:1]=00, PXN=UXN=0: EL0 may not read but may execute (execute-only)
    [InlineData(0x0020_fedc_ba98_7787UL, "r--", "--x")] // AP[2:1]=10, PXN: EL0 execute-only, EL1 read-only
    [InlineData(0x0000_fedc_ba98_7747UL, "rw-", "rwx")] // AP[2:1]=01, PXN=0: EL1 may not execute what EL0 can write
    [InlineData(0x0040_fedc_ba98_7747UL, "rw-", "rw-")] // AP[2:1]=01, UXN, PXN=0: the same implicit PXN
    [InlineData(0x0000_fedc_ba98_77c7UL, "r-x", "r-x")] // AP[2:1]=11, PXN=UXN=0: EL1 may execute user read-only code (PAN=0, no SMEP)
    public void Hardware_permissions_beyond_the_library_encodings(ulong page, string supervisor, string user) =>
        Expect.Permissions(Walker, WithLeaf(3, page), Root, Va, supervisor, user, Expected(3, MemoryType.NormalCacheable), 3);

    // Hierarchical controls in table descriptors restrict everything below them (D8.4), over UserRwPage
    // (AP[2:1]=01, PXN=UXN=0, "rw-"/"rwx" on its own).
    [Theory]
    [InlineData(0x0000_0000_0000_2003UL, 0x0000_0000_0000_3003UL, 0x2000_0000_0000_4003UL, "rwx", "--x")] // level 2 APTable=01 (bit 61): no EL0 data access, so EL0 no longer writes and EL1 may execute
    [InlineData(0x0000_0000_0000_2003UL, 0x4000_0000_0000_3003UL, 0x0000_0000_0000_4003UL, "r-x", "r-x")] // level 1 APTable=10 (bit 62): read-only at every EL
    [InlineData(0x6000_0000_0000_2003UL, 0x0000_0000_0000_3003UL, 0x0000_0000_0000_4003UL, "r-x", "--x")] // level 0 APTable=11: read-only, EL1 only
    [InlineData(0x1000_0000_0000_2003UL, 0x0000_0000_0000_3003UL, 0x0000_0000_0000_4003UL, "rw-", "rw-")] // level 0 UXNTable (bit 60)
    [InlineData(0x0000_0000_0000_2003UL, 0x0000_0000_0000_3003UL, 0x0800_0000_0000_4003UL, "rw-", "rwx")] // level 2 PXNTable (bit 59): EL1 could not execute anyway
    [InlineData(0x0000_0000_0000_2003UL, 0x8000_0000_0000_3003UL, 0x0000_0000_0000_4003UL, "rw-", "rwx")] // level 1 NSTable (bit 63): ignored in Non-secure state
    public void Table_attributes_apply_hierarchically(ulong l0, ulong l1, ulong l2, string supervisor, string user) =>
        Expect.Permissions(Walker, WithLeaf(3, UserRwPage, l0, l1, l2), Root, Va, supervisor, user, Expected(3, MemoryType.NormalCacheable), 3);

    [Fact]
    public void PxnTable_forbids_kernel_execution_below_it() =>
        Expect.Permissions(
            Walker,
            WithLeaf(3, 0x0040_fedc_ba98_7707, l2: 0x0800_0000_0000_4003), // kernel RWX page (AP=00, UXN) under a PXNTable level 2 table
            Root, Va, "rw-", "---", Expected(3, MemoryType.NormalCacheable), 3);

    [Fact]
    public void Ignored_and_unused_bits_do_not_matter() =>
        Expect.Permissions(
            Walker,
            WithLeaf(3, 0x079c_fedc_ba98_7f47), // UserRwPage with nG (11), GP (50), DBM (51), Contiguous (52), software bits 58:55
            Root, Va, "rw-", "rwx", Expected(3, MemoryType.NormalCacheable), 3);

    [Theory]
    [InlineData(3, 0x0000_fedc_ba98_7347UL)] // UserRwPage with AF=0
    [InlineData(2, 0x0000_fedc_ba80_0345UL)] // 2 MB block valid|AttrIndx=1|AP=01|SH=11, AF=0
    [InlineData(1, 0x0000_00fe_8000_0305UL)] // 1 GB block valid|AttrIndx=1|AP=00|SH=11, AF=0
    public void Access_flag_zero_faults(int level, ulong leaf) =>
        Expect.FaultsAlways(Walker, WithLeaf(level, leaf), Root, Va, level, "Access flag");

    // The library's MAIR_EL1 (0x0000_0000_0044_ff04) decoded per attribute (D8.6, MAIR_EL1): Attr0 = 0x04 is
    // 0b0000_01_00 Device-nGnRE; Attr1 = 0xFF is Normal, outer 0b1111 and inner 0b1111 Write-Back non-transient;
    // Attr2 = 0x44 is Normal, outer and inner 0b0100 Non-cacheable; Attr3..Attr7 = 0x00 is Device-nGnRnE.
    // Pages are UserRwPage (0x...7747) with AttrIndx and SH changed; SH applies to Normal cacheable memory only.
    [Theory]
    [InlineData(0x0000_fedc_ba98_7743UL, MemoryType.Device, "Device-nGnRE")] // AttrIndx 0, SH=11 (ignored)
    [InlineData(0x0000_fedc_ba98_7443UL, MemoryType.Device, "Device-nGnRE")] // AttrIndx 0, SH=00
    [InlineData(0x0000_fedc_ba98_7747UL, MemoryType.NormalCacheable, "Normal, Inner Write-Back, Outer Write-Back, Inner Shareable")] // AttrIndx 1, SH=11
    [InlineData(0x0000_fedc_ba98_7647UL, MemoryType.NormalCacheable, "Normal, Inner Write-Back, Outer Write-Back, Outer Shareable")] // AttrIndx 1, SH=10
    [InlineData(0x0000_fedc_ba98_7447UL, MemoryType.NormalCacheable, "Normal, Inner Write-Back, Outer Write-Back, Non-shareable")] // AttrIndx 1, SH=00
    [InlineData(0x0000_fedc_ba98_774bUL, MemoryType.NormalUncached, "Normal, Inner Non-cacheable, Outer Non-cacheable, Outer Shareable")] // AttrIndx 2, SH=11: NC is Outer Shareable
    [InlineData(0x0000_fedc_ba98_744bUL, MemoryType.NormalUncached, "Normal, Inner Non-cacheable, Outer Non-cacheable, Outer Shareable")] // AttrIndx 2, SH=00: still Outer Shareable
    [InlineData(0x0000_fedc_ba98_774fUL, MemoryType.Device, "Device-nGnRnE")] // AttrIndx 3: Attr3 = 0x00
    [InlineData(0x0000_fedc_ba98_7753UL, MemoryType.Device, "Device-nGnRnE")] // AttrIndx 4
    [InlineData(0x0000_fedc_ba98_775fUL, MemoryType.Device, "Device-nGnRnE")] // AttrIndx 7
    public void Library_MAIR_attributes(ulong page, MemoryType memory, string name) =>
        Expect.Permissions(
            Walker, WithLeaf(3, page), Root, Va, "rw-", "rwx",
            Expected(3, memory) with { MemoryName = name, Accessed = true }, 3);

    [Fact]
    public void AF_is_reported_and_no_dirty_state() =>
        Expect.TranslatesExactly(
            Walker, WithLeaf(3, UserRwPage), Root, Va, Access.Write, Privilege.User,
            new Translation(
                0x0000_fedc_ba98_7abc, 0x1000, MemoryType.NormalCacheable,
                "Normal, Inner Write-Back, Outer Write-Back, Inner Shareable", accessed: true, dirty: null));

    [Fact]
    public void DBM_does_not_make_a_dirty_state_without_FEAT_HAFDBS() =>
        Expect.TranslatesExactly(
            Walker, WithLeaf(3, 0x0008_fedc_ba98_77c7), Root, Va, Access.Read, Privilege.User, // AP[2:1]=11 read-only, DBM (bit 51)
            new Translation(
                0x0000_fedc_ba98_7abc, 0x1000, MemoryType.NormalCacheable,
                "Normal, Inner Write-Back, Outer Write-Back, Inner Shareable", accessed: true, dirty: null));

    [Fact]
    public void Reserved_shareability_of_cacheable_memory_faults() =>
        Expect.FaultsAlways(Walker, WithLeaf(3, 0x0000_fedc_ba98_7547), Root, Va, 3, "SH = 1"); // AttrIndx 1, SH=01

    // A MAIR_EL1 of other attributes, byte n = Attr<n>: 0x3377_4001_4faa_080c.
    private const ulong OtherMair = 0x3377_4001_4faa_080c;

    [Theory]
    [InlineData(0, MemoryType.Device, "Device-GRE")] // 0x0c = 0b0000_11_00
    [InlineData(1, MemoryType.Device, "Device-nGRE")] // 0x08 = 0b0000_10_00
    [InlineData(2, MemoryType.Other, "Normal, Inner Write-Through, Outer Write-Through, Inner Shareable")] // 0xaa: 0b1010 both, WT non-transient
    [InlineData(3, MemoryType.Other, "Normal, Inner Write-Back, Outer Non-cacheable, Inner Shareable")] // 0x4f: outer 0b0100, inner 0b1111
    [InlineData(6, MemoryType.NormalCacheable, "Normal, Inner Write-Back, Outer Write-Back, Inner Shareable")] // 0x77: 0b0111 both, WB transient
    [InlineData(7, MemoryType.Other, "Normal, Inner Write-Through, Outer Write-Through, Inner Shareable")] // 0x33: 0b0011 both, WT transient
    public void Attributes_come_from_the_given_MAIR(int attrIndx, MemoryType memory, string name) =>
        Expect.Permissions(
            new A64Walker(hardwareAddressRanges: false, OtherMair),
            WithLeaf(3, 0x0000_fedc_ba98_7743UL | ((ulong)attrIndx << 2)), // UserRwPage with AttrIndx = attrIndx, SH=11
            Root, Va, "rw-", "rwx", Expected(3, memory) with { MemoryName = name }, 3);

    [Theory]
    [InlineData(4)] // 0x01: Device with bits 1:0 = 01 (a FEAT_XS encoding)
    [InlineData(5)] // 0x40: Normal with inner 0b0000 (UNPREDICTABLE; a FEAT_XS encoding)
    public void Undefined_MAIR_attributes_fault(int attrIndx) =>
        Expect.FaultsAlways(
            new A64Walker(hardwareAddressRanges: false, OtherMair),
            WithLeaf(3, 0x0000_fedc_ba98_7743UL | ((ulong)attrIndx << 2)), Root, Va, 3, $"MAIR_EL1.Attr{attrIndx}");

    [Fact]
    public void Default_MAIR_is_the_library_documented_value()
    {
        Assert.Equal(0x0000_0000_0044_ff04UL, Walker.Mair);
        Assert.Equal(0x0000_0000_0044_ff04UL, new A64Walker(hardwareAddressRanges: true).Mair);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Invalid_descriptor_at_each_level(int level)
    {
        // The path with bit 0 (valid) cleared at one level.
        ulong[] path = [L0Table, L1Table, L2Table, UserRwPage];
        path[level] &= ~1UL;
        Expect.FaultsAlways(Walker, WithLeaf(3, path[3], path[0], path[1], path[2]), Root, Va, level, "translation fault");
    }

    [Theory]
    [InlineData(3, 0x0000_fedc_ba98_7745UL)] // bits 1:0 = 01 at level 3: reserved, translation fault
    [InlineData(0, 0x0000_0000_0000_0705UL)] // bits 1:0 = 01 at level 0: no level 0 blocks with the 4 KB granule
    public void Block_encoding_where_none_is_allowed(int level, ulong entry) =>
        Expect.FaultsAlways(Walker, WithLeaf(level, entry), Root, Va, level, "translation fault");

    [Theory]
    [InlineData(1, 0x0000_00fe_8000_1705UL)] // 1 GB block, kernel RW (valid|AttrIndx=1|SH=11|AF), bit 12 set (RES0 29:12)
    [InlineData(1, 0x0000_00fe_8001_0705UL)] // bit 16 (nT, RES0 without FEAT_BBM)
    [InlineData(1, 0x0000_00fe_a000_0705UL)] // bit 29
    [InlineData(2, 0x0000_fedc_ba80_1705UL)] // 2 MB block, bit 12 set (RES0 20:12)
    [InlineData(2, 0x0000_fedc_ba90_0705UL)] // bit 20
    [InlineData(3, 0x0001_fedc_ba98_7747UL)] // UserRwPage with bit 48 (RES0 49:48)
    [InlineData(3, 0x0002_fedc_ba98_7747UL)] // bit 49
    public void RES0_bits_in_a_leaf_fault(int level, ulong leaf) =>
        Expect.FaultsAlways(Walker, WithLeaf(level, leaf), Root, Va, level, "RES0");

    [Theory]
    [InlineData(1, 0x0001_0000_0000_3003UL)] // level 1 table descriptor with bit 48 (RES0 50:48)
    [InlineData(2, 0x0004_0000_0000_4003UL)] // level 2 table descriptor with bit 50
    public void RES0_bits_in_a_table_descriptor_fault(int level, ulong table) =>
        Expect.FaultsAlways(
            Walker,
            WithLeaf(3, UserRwPage, l1: level == 1 ? table : L1Table, l2: level == 2 ? table : L2Table),
            Root, Va, level, "RES0");

    [Theory]
    [InlineData(0x0000_8080_8060_4abcUL)] // bit 47 set, bits 63:48 clear: TTBR0 range, but not sign-extended
    [InlineData(0xffff_0080_8060_4abcUL)] // bits 63:48 set, bit 47 clear: TTBR1 range, but not sign-extended
    [InlineData(0x0001_0080_8060_4abcUL)] // bits 63:48 neither all 0 nor all 1
    [InlineData(0x8000_0080_8060_4abcUL)]
    public void Library_rule_faults_on_addresses_not_sign_extended_from_bit_47(ulong va)
    {
        var memory = WithLeaf(3, UserRwPage).Entry(0x1000, 257, L0Table);
        Expect.FaultsAlways(Walker, memory, Root, va, 0, "outside");
    }

    [Fact]
    public void Hardware_ranges_let_one_root_answer_for_both_TTBRs()
    {
        var hardware = new A64Walker(hardwareAddressRanges: true);
        var memory = WithLeaf(3, UserRwPage).Entry(0x1000, 257, L0Table); // level 0 entries 1 and 257 share the path
        Translation expected = Expected(3, MemoryType.NormalCacheable);

        // TTBR0, bit 47 set: level 0 index 257.
        Expect.Permissions(hardware, memory, Root, 0x0000_8080_8060_4abc, "rw-", "rwx", expected, 3);

        // TTBR1, bit 47 clear: level 0 index 1, the same entry as Va.
        Expect.Permissions(hardware, memory, Root, 0xffff_0080_8060_4abc, "rw-", "rwx", expected, 3);

        Expect.FaultsAlways(hardware, memory, Root, 0x0001_0080_8060_4abc, 0, "outside");
        Expect.FaultsAlways(hardware, memory, Root, 0x7fff_0080_8060_4abc, 0, "outside");
    }

    [Fact]
    public void High_half_uses_the_upper_root_entries()
    {
        // 0xffff_ff80_8060_4abc: level 0 index 511, then 2, 3, 4 as for Va.
        var memory = WithLeaf(3, 0x0040_fedc_ba98_7707).Entry(0x1000, 511, L0Table); // kernel RWX page (AP=00, UXN)
        memory.Entry(0x1000, 1, 0);
        Expect.Permissions(Walker, memory, Root, 0xffff_ff80_8060_4abc, "rwx", "---", Expected(3, MemoryType.NormalCacheable), 3);
        Expect.FaultsAlways(Walker, memory, Root, Va, 0, "translation fault");
    }

    [Fact]
    public void Table_outside_memory_is_an_external_abort_at_the_level_read() =>
        Expect.FaultsAlways(
            Walker, new FrameMemory().Entry(0x1000, 1, 0x0000_0000_0009_0003), Root, Va, 1, "no memory"); // table at 0x9_0000, absent

    [Fact]
    public void Root_must_be_a_4K_aligned_48_bit_address() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Walker.Translate(new FrameMemory(), 1UL << 48, Va, Access.Read, Privilege.User));
}
