using PageTableModel.Hardware;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>
/// Golden vectors shared by <see cref="Sv39WalkerTests"/> and <see cref="Sv48WalkerTests"/>, worked out from the
/// RISC-V Privileged Architecture, Supervisor-Level ISA: the Sv39 PTE format (V 0, R 1, W 2, X 3, U 4, G 5, A 6,
/// D 7, RSW 9:8, PPN 53:10, reserved/PBMT/N 63:54) and the "Virtual Address Translation Process" steps.
/// </summary>
/// <remarks>
/// Tables sit at 0x1000 (the root), 0x2000, 0x3000 and 0x4000; a non-leaf PTE pointing at the next one has only V
/// set and the next table's PPN in bits 53:10. Leaves map PA 0x00fe_dcba_9876_5000 (4 KiB), 0x00fe_dcba_9860_0000
/// (2 MiB) or 0x00fe_dcba_8000_0000 (1 GiB), with A and D preset as the library does. Supervisor means S-mode with
/// SUM=0 and MXR=0.
/// </remarks>
public abstract class RiscVWalkerTests
{
    protected const ulong Root = 0x1000;

    /// <summary>The non-leaf PTE a level's table holds for the path: V, and the PPN of the next table.</summary>
    protected static readonly ulong[] Pointers =
    [
        0x0000_0000_0000_0801, // V, PPN 0x2 (table at 0x2000)
        0x0000_0000_0000_0c01, // V, PPN 0x3 (table at 0x3000)
        0x0000_0000_0000_1001, // V, PPN 0x4 (table at 0x4000)
    ];

    protected abstract IHardwareWalker Walker { get; }

    /// <summary>The address every test translates; its low 30 bits are 0x0060_4abc.</summary>
    protected abstract ulong Va { get; }

    /// <summary>The index <see cref="Va"/> selects in the table of each level, root first.</summary>
    protected abstract int[] Indexes { get; }

    protected int Leaf4K => Walker.Levels - 1;

    protected int Leaf2M => Walker.Levels - 2;

    protected int Leaf1G => Walker.Levels - 3;

    protected static Translation Expected(ulong pageSize) => pageSize switch
    {
        0x1000 => new(0x00fe_dcba_9876_5abc, pageSize, MemoryType.PlatformDefined),    // 0x00fe_dcba_9876_5000 + 0xabc
        0x20_0000 => new(0x00fe_dcba_9860_4abc, pageSize, MemoryType.PlatformDefined), // 0x00fe_dcba_9860_0000 + 0x4abc
        _ => new(0x00fe_dcba_8060_4abc, pageSize, MemoryType.PlatformDefined),         // 0x00fe_dcba_8000_0000 + 0x60_4abc
    };

    /// <summary>The path down to <paramref name="leafLevel"/>, optionally with another entry at one level above it.</summary>
    private protected FrameMemory WithLeaf(int leafLevel, ulong leaf, int replacedLevel = -1, ulong replacement = 0)
    {
        var memory = new FrameMemory();
        for (int level = 0; level < leafLevel; level++)
        {
            memory.Entry(0x1000 * (ulong)(level + 1), Indexes[level], level == replacedLevel ? replacement : Pointers[level]);
        }

        return memory.Entry(0x1000 * (ulong)(leafLevel + 1), Indexes[leafLevel], leaf);
    }

    // Every leaf R/W/X/U combination that is not reserved (W requires R). S-mode may not use U=1 pages (SUM=0, and
    // never executes them); U-mode may only use U=1 pages.
    [Theory]
    [InlineData(0x003f_b72e_a61d_94c3UL, "r--", "---")] // V|R|A|D, PPN 0xfedcba98765
    [InlineData(0x003f_b72e_a61d_94c7UL, "rw-", "---")] // V|R|W|A|D, PPN 0xfedcba98765
    [InlineData(0x003f_b72e_a61d_94c9UL, "--x", "---")] // V|X|A|D, PPN 0xfedcba98765
    [InlineData(0x003f_b72e_a61d_94cbUL, "r-x", "---")] // V|R|X|A|D, PPN 0xfedcba98765
    [InlineData(0x003f_b72e_a61d_94cfUL, "rwx", "---")] // V|R|W|X|A|D, PPN 0xfedcba98765
    [InlineData(0x003f_b72e_a61d_94d3UL, "---", "r--")] // V|R|U|A|D, PPN 0xfedcba98765
    [InlineData(0x003f_b72e_a61d_94d7UL, "---", "rw-")] // V|R|W|U|A|D, PPN 0xfedcba98765
    [InlineData(0x003f_b72e_a61d_94d9UL, "---", "--x")] // V|X|U|A|D, PPN 0xfedcba98765
    [InlineData(0x003f_b72e_a61d_94dbUL, "---", "r-x")] // V|R|X|U|A|D, PPN 0xfedcba98765
    [InlineData(0x003f_b72e_a61d_94dfUL, "---", "rwx")] // V|R|W|X|U|A|D, PPN 0xfedcba98765
    public void Leaf_4K(ulong pte, string supervisor, string user) =>
        Expect.Permissions(Walker, WithLeaf(Leaf4K, pte), Root, Va, supervisor, user, Expected(0x1000), Leaf4K);

    [Theory]
    [InlineData(0x003f_b72e_a618_00c3UL, "r--", "---")] // V|R|A|D, PPN 0xfedcba98600
    [InlineData(0x003f_b72e_a618_00c7UL, "rw-", "---")] // V|R|W|A|D, PPN 0xfedcba98600
    [InlineData(0x003f_b72e_a618_00c9UL, "--x", "---")] // V|X|A|D, PPN 0xfedcba98600
    [InlineData(0x003f_b72e_a618_00cbUL, "r-x", "---")] // V|R|X|A|D, PPN 0xfedcba98600
    [InlineData(0x003f_b72e_a618_00cfUL, "rwx", "---")] // V|R|W|X|A|D, PPN 0xfedcba98600
    [InlineData(0x003f_b72e_a618_00d3UL, "---", "r--")] // V|R|U|A|D, PPN 0xfedcba98600
    [InlineData(0x003f_b72e_a618_00d7UL, "---", "rw-")] // V|R|W|U|A|D, PPN 0xfedcba98600
    [InlineData(0x003f_b72e_a618_00d9UL, "---", "--x")] // V|X|U|A|D, PPN 0xfedcba98600
    [InlineData(0x003f_b72e_a618_00dbUL, "---", "r-x")] // V|R|X|U|A|D, PPN 0xfedcba98600
    [InlineData(0x003f_b72e_a618_00dfUL, "---", "rwx")] // V|R|W|X|U|A|D, PPN 0xfedcba98600
    public void Leaf_2M(ulong pte, string supervisor, string user) =>
        Expect.Permissions(Walker, WithLeaf(Leaf2M, pte), Root, Va, supervisor, user, Expected(0x20_0000), Leaf2M);

    [Theory]
    [InlineData(0x003f_b72e_a000_00c3UL, "r--", "---")] // V|R|A|D, PPN 0xfedcba80000
    [InlineData(0x003f_b72e_a000_00c7UL, "rw-", "---")] // V|R|W|A|D, PPN 0xfedcba80000
    [InlineData(0x003f_b72e_a000_00c9UL, "--x", "---")] // V|X|A|D, PPN 0xfedcba80000
    [InlineData(0x003f_b72e_a000_00cbUL, "r-x", "---")] // V|R|X|A|D, PPN 0xfedcba80000
    [InlineData(0x003f_b72e_a000_00cfUL, "rwx", "---")] // V|R|W|X|A|D, PPN 0xfedcba80000
    [InlineData(0x003f_b72e_a000_00d3UL, "---", "r--")] // V|R|U|A|D, PPN 0xfedcba80000
    [InlineData(0x003f_b72e_a000_00d7UL, "---", "rw-")] // V|R|W|U|A|D, PPN 0xfedcba80000
    [InlineData(0x003f_b72e_a000_00d9UL, "---", "--x")] // V|X|U|A|D, PPN 0xfedcba80000
    [InlineData(0x003f_b72e_a000_00dbUL, "---", "r-x")] // V|R|X|U|A|D, PPN 0xfedcba80000
    [InlineData(0x003f_b72e_a000_00dfUL, "---", "rwx")] // V|R|W|X|U|A|D, PPN 0xfedcba80000
    public void Leaf_1G(ulong pte, string supervisor, string user) =>
        Expect.Permissions(Walker, WithLeaf(Leaf1G, pte), Root, Va, supervisor, user, Expected(0x4000_0000), Leaf1G);

    [Theory]
    [InlineData(0x003f_b72e_a61d_94c5UL)] // V|W|A|D: W=1 with R=0 is reserved (step 3)
    [InlineData(0x003f_b72e_a61d_94cdUL)] // V|W|X|A|D
    [InlineData(0x003f_b72e_a61d_94d5UL)] // V|W|U|A|D
    public void Write_without_read_is_reserved(ulong pte) =>
        Expect.FaultsAlways(Walker, WithLeaf(Leaf4K, pte), Root, Va, Leaf4K, "W=1 with R=0");

    [Fact]
    public void Accessed_clear_faults_every_access()
    {
        FrameMemory memory = WithLeaf(Leaf4K, 0x003f_b72e_a61d_9487); // V|R|W|D
        Expect.FaultsAlways(Walker, memory, Root, Va, Leaf4K);
        Expect.Faults(Walker, memory, Root, Va, Access.Read, Privilege.Supervisor, Leaf4K, "A=0");
    }

    [Fact]
    public void Dirty_clear_faults_stores_only() =>
        Expect.Permissions(
            Walker, WithLeaf(Leaf4K, 0x003f_b72e_a61d_9447), Root, Va, "r--", "---", Expected(0x1000), Leaf4K); // V|R|W|A

    [Theory]
    [InlineData(0x203f_b72e_a61d_94c7UL)] // V|R|W|A|D with PBMT=01 (bit 61): reserved without Svpbmt
    [InlineData(0x803f_b72e_a61d_94c7UL)] // with N (bit 63): reserved without Svnapot
    [InlineData(0x007f_b72e_a61d_94c7UL)] // with bit 54: reserved
    public void Reserved_high_bits_fault(ulong pte) =>
        Expect.FaultsAlways(Walker, WithLeaf(Leaf4K, pte), Root, Va, Leaf4K, "reserved bits 63:54");

    [Theory]
    [InlineData(0x003f_b72e_a61d_94e7UL)] // V|R|W|G|A|D
    [InlineData(0x003f_b72e_a61d_97c7UL)] // V|R|W|A|D with RSW (9:8) = 11
    public void Global_and_software_bits_do_not_matter(ulong pte) =>
        Expect.Permissions(Walker, WithLeaf(Leaf4K, pte), Root, Va, "rw-", "---", Expected(0x1000), Leaf4K);

    [Theory]
    [InlineData(0x0000_0000_0000_0c41UL, "D, A or U")]   // V|A, PPN 0x3: A is reserved in a non-leaf PTE
    [InlineData(0x0000_0000_0000_0c81UL, "D, A or U")]   // V|D
    [InlineData(0x0000_0000_0000_0c11UL, "D, A or U")]   // V|U
    [InlineData(0x4000_0000_0000_0c01UL, "reserved bits 63:54")] // V with PBMT=10 (bit 62)
    public void Reserved_bits_in_a_non_leaf_pte_fault(ulong pointer, string reason) =>
        Expect.FaultsAlways(
            Walker, WithLeaf(Leaf4K, 0x003f_b72e_a61d_94cf, replacedLevel: 1, replacement: pointer), Root, Va, 1, reason);

    [Fact]
    public void Global_bit_in_a_non_leaf_pte_is_allowed() =>
        Expect.Permissions(
            Walker,
            WithLeaf(Leaf4K, 0x003f_b72e_a61d_94cf, replacedLevel: 1, replacement: 0x0000_0000_0000_0c21), // V|G, PPN 0x3
            Root, Va, "rwx", "---", Expected(0x1000), Leaf4K);

    [Fact]
    public void Non_leaf_pte_at_the_last_level_faults() =>
        Expect.FaultsAlways(Walker, WithLeaf(Leaf4K, 0x0000_0000_0000_1401), Root, Va, Leaf4K, "last level"); // V, PPN 0x5

    [Fact]
    public void Not_valid_at_each_level()
    {
        for (int level = 0; level < Walker.Levels; level++)
        {
            // The path with V (bit 0) cleared at one level: 0x800, 0xc00, 0x1000 or the leaf V|R|W|X|A|D without V.
            FrameMemory memory = level == Leaf4K
                ? WithLeaf(Leaf4K, 0x003f_b72e_a61d_94ce)
                : WithLeaf(Leaf4K, 0x003f_b72e_a61d_94cf, level, Pointers[level] & ~1UL);
            Expect.FaultsAlways(Walker, memory, Root, Va, level, "V=0");
        }
    }

    [Theory]
    [InlineData(0x003f_b72e_a618_04c7UL)] // V|R|W|A|D, PPN 0xfedcba98601: PPN[0] = 1 in a 2 MiB leaf
    [InlineData(0x003f_b72e_a61c_00c7UL)] // PA 0x00fe_dcba_9870_0000: bit 20 set
    public void Misaligned_2M_superpage_faults(ulong pte) => MisalignedFaults(Leaf2M, pte);

    [Theory]
    [InlineData(0x003f_b72e_a008_00c7UL)] // V|R|W|A|D, PA 0x00fe_dcba_8020_0000: PPN[1] bit 21 set in a 1 GiB leaf
    [InlineData(0x003f_b72e_a000_04c7UL)] // PA 0x00fe_dcba_8000_1000: PPN[0] bit 12 set
    public void Misaligned_1G_superpage_faults(ulong pte) => MisalignedFaults(Leaf1G, pte);

    /// <summary>
    /// Every access faults at the leaf; one the leaf's permissions allow (step 5) shows it is for the alignment
    /// (step 6).
    /// </summary>
    private protected void MisalignedFaults(int level, ulong leaf)
    {
        FrameMemory memory = WithLeaf(level, leaf);
        Expect.FaultsAlways(Walker, memory, Root, Va, level);
        Expect.Faults(Walker, memory, Root, Va, Access.Read, Privilege.Supervisor, level, "misaligned superpage");
    }

    [Fact]
    public void Table_outside_memory_is_an_access_fault_at_the_level_read() =>
        Expect.FaultsAlways(
            Walker, WithLeaf(0, 0x0000_0000_0002_4001), Root, Va, 1, "no memory"); // root PTE V, PPN 0x90 (0x9_0000, absent)

    [Fact]
    public void Root_must_be_a_4K_aligned_56_bit_address()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Walker.Translate(new FrameMemory(), 0x1800, Va, Access.Read, Privilege.User));
        Assert.Throws<ArgumentOutOfRangeException>(() => Walker.Translate(new FrameMemory(), 1UL << 56, Va, Access.Read, Privilege.User));
    }
    // Step 7 without Svadu: A=0 faults, so a translation reports A=1; D is reported as found (a load may use a page
    // with D=0). 4 KiB leaf V|R|W|A (0x47) or V|R|W|A|D (0xc7), PPN 0x00fe_dcba_9876_5.
    [Theory]
    [InlineData(0x003f_b72e_a61d_9447UL, false)]
    [InlineData(0x003f_b72e_a61d_94c7UL, true)]
    public void Accessed_and_dirty_are_reported(ulong leaf, bool dirty)
    {
        Translation basic = Expected(0x1000);
        Expect.TranslatesExactly(
            Walker, WithLeaf(Leaf4K, leaf), Root, Va, Access.Read, Privilege.Supervisor,
            new Translation(basic.Pa, basic.PageSize, basic.Memory, memoryName: null, accessed: true, dirty));
    }
}
