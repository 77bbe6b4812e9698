using PageTableModel.Hardware;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>
/// Golden vectors for <see cref="La64Walker"/>, worked out from the LoongArch Reference Manual Vol. 1 §5.4
/// (LDDIR/LDPTE walk with PWCL PTbase=12, Dir1_base=21, Dir2_base=30 and PWCH Dir3_base=39, all 9 bits wide) and
/// §7.5 (TLBELO: V 0, D 1, PLV 3:2, MAT 5:4, G 6, PPN 47:12, NR 61, NX 62, RPLV 63; HUGE 6 and HGLOBAL 12 in a
/// huge directory entry). Bits 7 (P) and 8 (W) are the software bits of the library's convention.
/// </summary>
/// <remarks>
/// Every test walks va 0x0000_0080_8060_4abc: Dir3 index (bits 47:39) 1, Dir2 index (38:30) 2, Dir1 index (29:21)
/// 3, PT index (20:12) 4, offset 0xabc. Dir3 (the root) is at 0x1000, Dir2 at 0x2000, Dir1 at 0x3000, the PT at
/// 0x4000; a directory entry is just the next table's physical address (LDDIR, §4.2.5.1).
/// </remarks>
public sealed class La64WalkerTests
{
    private const ulong Root = 0x1000;
    private const ulong Va = 0x0000_0080_8060_4abc;
    private const ulong Dir3Entry = 0x0000_0000_0000_2000; // Dir2 table at 0x2000
    private const ulong Dir2Entry = 0x0000_0000_0000_3000; // Dir1 table at 0x3000
    private const ulong Dir1Entry = 0x0000_0000_0000_4000; // PT at 0x4000
    private const ulong KernelRwx = 0x0000_fedc_ba98_7193; // V|D|PLV=0|MAT=1 CC|P|W, PPN 0xfedcba987

    private static readonly La64Walker Walker = new();

    private static Translation Expected(int leafLevel, MemoryType memory) => leafLevel switch
    {
        3 => new(0x0000_fedc_ba98_7abc, 0x1000, memory),      // 0xfedc_ba98_7000 + 0xabc
        2 => new(0x0000_fedc_ba80_4abc, 0x20_0000, memory),   // 0xfedc_ba80_0000 + 0x4abc
        _ => new(0x0000_00fe_8060_4abc, 0x4000_0000, memory), // 0xfe_8000_0000 + 0x60_4abc
    };

    private static FrameMemory WithLeaf(int leafLevel, ulong leaf, ulong dir3 = Dir3Entry, ulong dir2 = Dir2Entry, ulong dir1 = Dir1Entry)
    {
        var memory = new FrameMemory().Entry(0x1000, 1, leafLevel == 0 ? leaf : dir3);
        if (leafLevel >= 1)
        {
            memory.Entry(0x2000, 2, leafLevel == 1 ? leaf : dir2);
        }

        if (leafLevel >= 2)
        {
            memory.Entry(0x3000, 3, leafLevel == 2 ? leaf : dir1);
        }

        if (leafLevel == 3)
        {
            memory.Entry(0x4000, 4, leaf);
        }

        return memory;
    }

    // 4 KiB PT entries, PPN 0xfedcba987, in the library's encoding: V and P always, D|W for Write, NX without
    // Execute, PLV 3 for User (RPLV=0, so PLV0 may use user pages too), MAT from Device/Uncached.
    [Theory]
    [InlineData(0x4000_fedc_ba98_7091UL, "r--", "---", MemoryType.NormalCacheable)] // V|PLV=0|MAT=1 CC|P|NX
    [InlineData(0x0000_fedc_ba98_7091UL, "r-x", "---", MemoryType.NormalCacheable)] // V|PLV=0|MAT=1 CC|P
    [InlineData(0x4000_fedc_ba98_7193UL, "rw-", "---", MemoryType.NormalCacheable)] // V|D|PLV=0|MAT=1 CC|P|W|NX
    [InlineData(0x0000_fedc_ba98_7193UL, "rwx", "---", MemoryType.NormalCacheable)] // V|D|PLV=0|MAT=1 CC|P|W
    [InlineData(0x4000_fedc_ba98_709dUL, "r--", "r--", MemoryType.NormalCacheable)] // V|PLV=3|MAT=1 CC|P|NX
    [InlineData(0x0000_fedc_ba98_709dUL, "r-x", "r-x", MemoryType.NormalCacheable)] // V|PLV=3|MAT=1 CC|P
    [InlineData(0x4000_fedc_ba98_719fUL, "rw-", "rw-", MemoryType.NormalCacheable)] // V|D|PLV=3|MAT=1 CC|P|W|NX
    [InlineData(0x0000_fedc_ba98_719fUL, "rwx", "rwx", MemoryType.NormalCacheable)] // V|D|PLV=3|MAT=1 CC|P|W
    [InlineData(0x4000_fedc_ba98_70a1UL, "r--", "---", MemoryType.NormalUncached)] // V|PLV=0|MAT=2 WUC|P|NX
    [InlineData(0x0000_fedc_ba98_70a1UL, "r-x", "---", MemoryType.NormalUncached)] // V|PLV=0|MAT=2 WUC|P
    [InlineData(0x4000_fedc_ba98_71a3UL, "rw-", "---", MemoryType.NormalUncached)] // V|D|PLV=0|MAT=2 WUC|P|W|NX
    [InlineData(0x0000_fedc_ba98_71a3UL, "rwx", "---", MemoryType.NormalUncached)] // V|D|PLV=0|MAT=2 WUC|P|W
    [InlineData(0x4000_fedc_ba98_70adUL, "r--", "r--", MemoryType.NormalUncached)] // V|PLV=3|MAT=2 WUC|P|NX
    [InlineData(0x0000_fedc_ba98_70adUL, "r-x", "r-x", MemoryType.NormalUncached)] // V|PLV=3|MAT=2 WUC|P
    [InlineData(0x4000_fedc_ba98_71afUL, "rw-", "rw-", MemoryType.NormalUncached)] // V|D|PLV=3|MAT=2 WUC|P|W|NX
    [InlineData(0x0000_fedc_ba98_71afUL, "rwx", "rwx", MemoryType.NormalUncached)] // V|D|PLV=3|MAT=2 WUC|P|W
    [InlineData(0x4000_fedc_ba98_7081UL, "r--", "---", MemoryType.Device)] // V|PLV=0|MAT=0 SUC|P|NX
    [InlineData(0x0000_fedc_ba98_7081UL, "r-x", "---", MemoryType.Device)] // V|PLV=0|MAT=0 SUC|P
    [InlineData(0x4000_fedc_ba98_7183UL, "rw-", "---", MemoryType.Device)] // V|D|PLV=0|MAT=0 SUC|P|W|NX
    [InlineData(0x0000_fedc_ba98_7183UL, "rwx", "---", MemoryType.Device)] // V|D|PLV=0|MAT=0 SUC|P|W
    [InlineData(0x4000_fedc_ba98_708dUL, "r--", "r--", MemoryType.Device)] // V|PLV=3|MAT=0 SUC|P|NX
    [InlineData(0x0000_fedc_ba98_708dUL, "r-x", "r-x", MemoryType.Device)] // V|PLV=3|MAT=0 SUC|P
    [InlineData(0x4000_fedc_ba98_718fUL, "rw-", "rw-", MemoryType.Device)] // V|D|PLV=3|MAT=0 SUC|P|W|NX
    [InlineData(0x0000_fedc_ba98_718fUL, "rwx", "rwx", MemoryType.Device)] // V|D|PLV=3|MAT=0 SUC|P|W
    public void Pte_4K(ulong pte, string supervisor, string user, MemoryType memory) =>
        Expect.Permissions(Walker, WithLeaf(3, pte), Root, Va, supervisor, user, Expected(3, memory), 3);

    // 2 MiB huge Dir1 entries: HUGE (bit 6), address 0xfedc_ba80_0000 in bits 47:21.
    [Theory]
    [InlineData(0x4000_fedc_ba80_00d1UL, "r--", "---", MemoryType.NormalCacheable)] // V|PLV=0|MAT=1 CC|HUGE|P|NX
    [InlineData(0x0000_fedc_ba80_00d1UL, "r-x", "---", MemoryType.NormalCacheable)] // V|PLV=0|MAT=1 CC|HUGE|P
    [InlineData(0x4000_fedc_ba80_01d3UL, "rw-", "---", MemoryType.NormalCacheable)] // V|D|PLV=0|MAT=1 CC|HUGE|P|W|NX
    [InlineData(0x0000_fedc_ba80_01d3UL, "rwx", "---", MemoryType.NormalCacheable)] // V|D|PLV=0|MAT=1 CC|HUGE|P|W
    [InlineData(0x4000_fedc_ba80_00ddUL, "r--", "r--", MemoryType.NormalCacheable)] // V|PLV=3|MAT=1 CC|HUGE|P|NX
    [InlineData(0x0000_fedc_ba80_00ddUL, "r-x", "r-x", MemoryType.NormalCacheable)] // V|PLV=3|MAT=1 CC|HUGE|P
    [InlineData(0x4000_fedc_ba80_01dfUL, "rw-", "rw-", MemoryType.NormalCacheable)] // V|D|PLV=3|MAT=1 CC|HUGE|P|W|NX
    [InlineData(0x0000_fedc_ba80_01dfUL, "rwx", "rwx", MemoryType.NormalCacheable)] // V|D|PLV=3|MAT=1 CC|HUGE|P|W
    [InlineData(0x4000_fedc_ba80_01e3UL, "rw-", "---", MemoryType.NormalUncached)] // V|D|PLV=0|MAT=2 WUC|HUGE|P|W|NX
    [InlineData(0x0000_fedc_ba80_00edUL, "r-x", "r-x", MemoryType.NormalUncached)] // V|PLV=3|MAT=2 WUC|HUGE|P
    [InlineData(0x4000_fedc_ba80_01c3UL, "rw-", "---", MemoryType.Device)] // V|D|PLV=0|MAT=0 SUC|HUGE|P|W|NX
    [InlineData(0x0000_fedc_ba80_00cdUL, "r-x", "r-x", MemoryType.Device)] // V|PLV=3|MAT=0 SUC|HUGE|P
    public void Huge_2M(ulong entry, string supervisor, string user, MemoryType memory) =>
        Expect.Permissions(Walker, WithLeaf(2, entry), Root, Va, supervisor, user, Expected(2, memory), 2);

    // 1 GiB huge Dir2 entries: HUGE, address 0xfe_8000_0000 in bits 47:30.
    [Theory]
    [InlineData(0x4000_00fe_8000_00d1UL, "r--", "---", MemoryType.NormalCacheable)] // V|PLV=0|MAT=1 CC|HUGE|P|NX
    [InlineData(0x0000_00fe_8000_00d1UL, "r-x", "---", MemoryType.NormalCacheable)] // V|PLV=0|MAT=1 CC|HUGE|P
    [InlineData(0x4000_00fe_8000_01d3UL, "rw-", "---", MemoryType.NormalCacheable)] // V|D|PLV=0|MAT=1 CC|HUGE|P|W|NX
    [InlineData(0x0000_00fe_8000_01d3UL, "rwx", "---", MemoryType.NormalCacheable)] // V|D|PLV=0|MAT=1 CC|HUGE|P|W
    [InlineData(0x4000_00fe_8000_00ddUL, "r--", "r--", MemoryType.NormalCacheable)] // V|PLV=3|MAT=1 CC|HUGE|P|NX
    [InlineData(0x0000_00fe_8000_00ddUL, "r-x", "r-x", MemoryType.NormalCacheable)] // V|PLV=3|MAT=1 CC|HUGE|P
    [InlineData(0x4000_00fe_8000_01dfUL, "rw-", "rw-", MemoryType.NormalCacheable)] // V|D|PLV=3|MAT=1 CC|HUGE|P|W|NX
    [InlineData(0x0000_00fe_8000_01dfUL, "rwx", "rwx", MemoryType.NormalCacheable)] // V|D|PLV=3|MAT=1 CC|HUGE|P|W
    [InlineData(0x4000_00fe_8000_01e3UL, "rw-", "---", MemoryType.NormalUncached)] // V|D|PLV=0|MAT=2 WUC|HUGE|P|W|NX
    [InlineData(0x0000_00fe_8000_00edUL, "r-x", "r-x", MemoryType.NormalUncached)] // V|PLV=3|MAT=2 WUC|HUGE|P
    [InlineData(0x4000_00fe_8000_01c3UL, "rw-", "---", MemoryType.Device)] // V|D|PLV=0|MAT=0 SUC|HUGE|P|W|NX
    [InlineData(0x0000_00fe_8000_00cdUL, "r-x", "r-x", MemoryType.Device)] // V|PLV=3|MAT=0 SUC|HUGE|P
    public void Huge_1G(ulong entry, string supervisor, string user, MemoryType memory) =>
        Expect.Permissions(Walker, WithLeaf(1, entry), Root, Va, supervisor, user, Expected(1, memory), 1);

    // What the TLB checks beyond the library's encodings: privilege with and without RPLV, NR, and D as the only
    // write permission the hardware reads.
    [Theory]
    [InlineData(0x8000_fedc_ba98_719fUL, "---", "rwx")] // V|D|PLV=3|CC|P|W|RPLV: only PLV3 may use it
    [InlineData(0x0000_fedc_ba98_7197UL, "rwx", "---")] // V|D|PLV=1|CC|P|W: PLV0 and PLV1 only
    [InlineData(0x0000_fedc_ba98_719bUL, "rwx", "---")] // V|D|PLV=2|CC|P|W: PLV0..PLV2
    [InlineData(0x8000_fedc_ba98_7197UL, "---", "---")] // V|D|PLV=1|CC|P|W|RPLV: only PLV1
    [InlineData(0x8000_fedc_ba98_7193UL, "rwx", "---")] // V|D|PLV=0|CC|P|W|RPLV: only PLV0
    [InlineData(0x6000_fedc_ba98_7193UL, "-w-", "---")] // V|D|CC|P|W|NR|NX: NR stops loads only (write-only page)
    [InlineData(0x4000_fedc_ba98_7093UL, "rw-", "---")] // V|D|CC|P|NX without W: the MMU does not read W; D=1 allows stores
    [InlineData(0x4000_fedc_ba98_7191UL, "r--", "---")] // V|CC|P|W|NX without D: a store raises the page modify exception
    [InlineData(0x0000_fedc_ba98_7113UL, "rwx", "---")] // V|D|CC|W without P: the MMU does not read P
    [InlineData(0x0000_fedc_ba98_71d3UL, "rwx", "---")] // KernelRwx with G (bit 6 of a PT entry is G, not HUGE)
    [InlineData(0x1fff_fedc_ba98_7f93UL, "rwx", "---")] // KernelRwx with bits 11:9 and 60:48 set: ignored
    public void Hardware_checks_beyond_the_library_encodings(ulong pte, string supervisor, string user) =>
        Expect.Permissions(Walker, WithLeaf(3, pte), Root, Va, supervisor, user, Expected(3, MemoryType.NormalCacheable), 3);

    [Fact]
    public void Reserved_memory_access_type_faults() =>
        Expect.FaultsAlways(Walker, WithLeaf(3, 0x0000_fedc_ba98_71b3), Root, Va, 3, "MAT=3"); // V|D|MAT=3|P|W

    [Theory]
    [InlineData(3, 0x0000_fedc_ba98_7192UL)] // KernelRwx without V
    [InlineData(3, 0x0000_0000_0000_0000UL)] // empty PT entry
    [InlineData(2, 0x0000_fedc_ba80_01d2UL)] // 2 MiB huge entry D|CC|HUGE|P|W without V
    [InlineData(1, 0x0000_00fe_8000_01d2UL)] // 1 GiB huge entry without V
    public void Invalid_leaf_faults(int level, ulong leaf) =>
        Expect.FaultsAlways(Walker, WithLeaf(level, leaf), Root, Va, level, "V=0");

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void All_zero_directory_entry_at_each_level(int level) =>
        Expect.FaultsAlways(
            Walker,
            WithLeaf(3, KernelRwx, level == 0 ? 0 : Dir3Entry, level == 1 ? 0 : Dir2Entry, level == 2 ? 0 : Dir1Entry),
            Root, Va, level, "all-zero directory entry");

    [Fact]
    public void Directory_entries_ignore_bits_above_PALEN()
    {
        // The walk keeps address bits 47:12 of a directory entry: a direct-mapped-window virtual address (bits 63:60 =
        // 0x9) or the library's marker (bit 60) above PALEN names the same table.
        var memory = WithLeaf(
            3, KernelRwx,
            0x9000_0000_0000_2000, // Dir2 table at 0x2000, written as the DMW address 0x9000_0000_0000_2000
            0x1000_0000_0000_3000, // Dir1 table at 0x3000 with bit 60
            0x00ff_0000_0000_4000); // PT at 0x4000 with bits 55:48
        Expect.Permissions(Walker, memory, Root, Va, "rwx", "---", Expected(3, MemoryType.NormalCacheable), 3);
    }

    // LDDIR (§4.2.5.1) takes a directory entry whose bit 6 is 0 as the next table's physical base and reads the entry
    // the index selects in bits 11:3 of it; §5.4 requires physical addresses there. A 4 KiB table's base has bits 11:0
    // clear, so any of them set (here as a leaf would have V, D, P, W or MAT) is refused at that level.
    [Theory]
    [InlineData(0, 0x0000_0000_0000_2001UL)] // Dir3 entry: table 0x2000 with V (bit 0)
    [InlineData(0, 0x0000_0000_0000_2080UL)] // Dir3 entry with P (bit 7)
    [InlineData(1, 0x0000_0000_0000_3002UL)] // Dir2 entry: table 0x3000 with D (bit 1)
    [InlineData(1, 0x0000_0000_0000_3100UL)] // Dir2 entry with W (bit 8)
    [InlineData(2, 0x0000_0000_0000_4010UL)] // Dir1 entry: table 0x4000 with MAT=1 (bit 4)
    [InlineData(2, 0x0000_0000_0000_4800UL)] // Dir1 entry with bit 11
    [InlineData(2, 0x1000_0000_0000_4008UL)] // Dir1 entry with the marker bit 60 and bit 3 (index bit 0 of the next read)
    public void Directory_entry_with_low_bits_is_not_a_table(int level, ulong entry)
    {
        ulong[] path = [Dir3Entry, Dir2Entry, Dir1Entry];
        path[level] = entry;
        Expect.FaultsAlways(Walker, WithLeaf(3, KernelRwx, path[0], path[1], path[2]), Root, Va, level, "not a table base");
    }

    // MAT (§5.3, §7.5) by name, and D reported as the dirty state; LoongArch entries have no accessed flag.
    [Theory]
    [InlineData(3, 0x0000_fedc_ba98_7193UL, MemoryType.NormalCacheable, "CC", true)] // V|D|PLV=0|MAT=1|P|W
    [InlineData(3, 0x0000_fedc_ba98_7091UL, MemoryType.NormalCacheable, "CC", false)] // V|PLV=0|MAT=1|P: D=0
    [InlineData(3, 0x0000_fedc_ba98_71a3UL, MemoryType.NormalUncached, "WUC", true)] // V|D|MAT=2|P|W
    [InlineData(3, 0x0000_fedc_ba98_7081UL, MemoryType.Device, "SUC", false)] // V|MAT=0|P
    [InlineData(2, 0x0000_fedc_ba80_01d3UL, MemoryType.NormalCacheable, "CC", true)] // 2M V|D|MAT=1|HUGE|P|W
    [InlineData(1, 0x0000_00fe_8000_00c1UL, MemoryType.Device, "SUC", false)] // 1G V|MAT=0|HUGE|P
    public void Memory_access_type_and_dirty_are_reported(int leafLevel, ulong leaf, MemoryType memory, string name, bool dirty)
    {
        Translation basic = Expected(leafLevel, memory);
        Expect.TranslatesExactly(
            Walker, WithLeaf(leafLevel, leaf), Root, Va, Access.Read, Privilege.Supervisor,
            new Translation(basic.Pa, basic.PageSize, memory, name, accessed: null, dirty));
    }

    [Fact]
    public void Huge_global_bit_is_not_part_of_the_address() =>
        Expect.Permissions(
            Walker, WithLeaf(2, 0x0000_fedc_ba80_11d3), Root, Va, "rwx", "---", // V|D|CC|HUGE|P|W|HGLOBAL (bit 12)
            Expected(2, MemoryType.NormalCacheable), 2);

    [Theory]
    [InlineData(2, 0x0000_fedc_ba80_21d3UL)] // 2 MiB V|D|CC|HUGE|P|W with bit 13 set (below the 2 MiB alignment)
    [InlineData(2, 0x0000_fedc_ba90_01d3UL)] // with bit 20 set
    [InlineData(1, 0x0000_00fe_8020_01d3UL)] // 1 GiB with bit 21 set
    [InlineData(1, 0x0000_00fe_a000_01d3UL)] // 1 GiB with bit 29 set
    public void Misaligned_huge_page_faults(int level, ulong entry) =>
        Expect.FaultsAlways(Walker, WithLeaf(level, entry), Root, Va, level, "misaligned huge page");

    [Fact]
    public void Huge_bit_in_a_Dir3_entry_faults() =>
        Expect.FaultsAlways(Walker, WithLeaf(0, 0x0000_0000_0000_2041), Root, Va, 0, "Dir3"); // 0x2000|HUGE|V

    [Theory]
    [InlineData(0x0000_8000_0000_0000UL)] // bit 47 set, bits 63:48 clear
    [InlineData(0xffff_7fff_ffff_f000UL)] // bits 63:48 set, bit 47 clear
    [InlineData(0x9000_0080_8060_4abcUL)] // a DMW-style address: no window is configured
    public void Address_not_sign_extended_from_bit_47_faults(ulong va) =>
        Expect.FaultsAlways(Walker, WithLeaf(3, KernelRwx), Root, va, 0, "address error");

    [Fact]
    public void High_half_uses_the_upper_root_entries()
    {
        // 0xffff_ff80_8060_4abc: Dir3 index 511 (through PGDH, the same table here), then 2, 3, 4.
        var memory = WithLeaf(3, 0x4000_fedc_ba98_719f).Entry(0x1000, 511, Dir3Entry); // V|D|PLV=3|CC|P|W|NX
        memory.Entry(0x1000, 1, 0);
        Expect.Permissions(Walker, memory, Root, 0xffff_ff80_8060_4abc, "rw-", "rw-", Expected(3, MemoryType.NormalCacheable), 3);
        Expect.FaultsAlways(Walker, memory, Root, Va, 0, "all-zero");
    }

    [Fact]
    public void Table_outside_memory_is_a_bus_error_at_the_level_read() =>
        Expect.FaultsAlways(
            Walker, new FrameMemory().Entry(0x1000, 1, 0x0000_0000_0009_0000), Root, Va, 1, "no memory"); // Dir2 at 0x9_0000, absent

    [Fact]
    public void Root_must_be_a_4K_aligned_48_bit_address() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Walker.Translate(new FrameMemory(), 0x1_0000_0000_0000, Va, Access.Read, Privilege.User));
}
