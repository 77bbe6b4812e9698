using PageTableModel.Hardware;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>
/// Golden vectors for <see cref="X64Walker"/>, worked out from Intel SDM Vol. 3A §4.5 (Tables 4-15 to 4-20),
/// §4.6 (access rights), §4.8 (accessed and dirty flags) and §11.12 (PAT: Table 11-10 encodings, power-on values
/// PA0=WB, PA1=WT, PA2=UC-, PA3=UC, repeated in PA4..PA7).
/// </summary>
/// <remarks>
/// Every test walks va 0x0000_0080_8060_4abc: PML4 index (bits 47:39) 1, PDPT index (38:30) 2, PD index (29:21) 3,
/// PT index (20:12) 4, offset 0xabc. The PML4 (root) is at 0x1000, the PDPT at 0x2000, the PD at 0x3000, the PT at
/// 0x4000. Entry bits: P 0, R/W 1, U/S 2, PWT 3, PCD 4, A 5, D 6, PS 7 (PAT in a PTE), G 8, PAT 12 in a huge
/// leaf, address up to bit 51 (MAXPHYADDR 52), XD 63.
/// </remarks>
public sealed class X64WalkerTests
{
    private const ulong Root = 0x1000;
    private const ulong Va = 0x0000_0080_8060_4abc;
    private const ulong Pml4e = 0x0000_0000_0000_2007; // P|R/W|U/S, PDPT at 0x2000 (Table 4-15)
    private const ulong Pdpte = 0x0000_0000_0000_3007; // P|R/W|U/S, PS=0, PD at 0x3000 (Table 4-17)
    private const ulong Pde = 0x0000_0000_0000_4007;   // P|R/W|U/S, PS=0, PT at 0x4000 (Table 4-19)

    private static readonly X64Walker Walker = new();

    // The page each leaf level maps, and the physical address of va's byte in it.
    private static Translation Expected(int leafLevel, MemoryType memory) => leafLevel switch
    {
        3 => new(0x000f_edcb_a987_6abc, 0x1000, memory),      // 4K frame 0xf_edcb_a987_6000 + 0xabc
        2 => new(0x000f_edcb_a980_4abc, 0x20_0000, memory),   // 2M frame 0xf_edcb_a980_0000 + 0x4abc
        _ => new(0x000f_edcb_8060_4abc, 0x4000_0000, memory), // 1G frame 0xf_edcb_8000_0000 + 0x60_4abc
    };

    /// <summary>The tables down to <paramref name="leafLevel"/>, whose entry for va is <paramref name="leaf"/>.</summary>
    private static FrameMemory WithLeaf(int leafLevel, ulong leaf, ulong pml4e = Pml4e, ulong pdpte = Pdpte, ulong pde = Pde)
    {
        var memory = new FrameMemory().Entry(0x1000, 1, pml4e);
        memory.Entry(0x2000, 2, leafLevel == 1 ? leaf : pdpte);
        if (leafLevel >= 2)
        {
            memory.Entry(0x3000, 3, leafLevel == 2 ? leaf : pde);
        }

        if (leafLevel == 3)
        {
            memory.Entry(0x4000, 4, leaf);
        }

        return memory;
    }

    // 4-KByte PTEs (Table 4-20), frame 0x000f_edcb_a987_6000. Supervisor: SMAP=0 lets it read and (R/W=1) write
    // user pages, SMEP forbids fetching from them; XD forbids fetches at any privilege.
    [Theory]
    [InlineData(0x800f_edcb_a987_6001UL, "r--", "---", MemoryType.NormalCacheable)] // P|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_a987_6001UL, "r-x", "---", MemoryType.NormalCacheable)] // P: PAT index 0 = WB
    [InlineData(0x800f_edcb_a987_6003UL, "rw-", "---", MemoryType.NormalCacheable)] // P|R/W|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_a987_6003UL, "rwx", "---", MemoryType.NormalCacheable)] // P|R/W: PAT index 0 = WB
    [InlineData(0x800f_edcb_a987_6005UL, "r--", "r--", MemoryType.NormalCacheable)] // P|U/S|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_a987_6005UL, "r--", "r-x", MemoryType.NormalCacheable)] // P|U/S: PAT index 0 = WB
    [InlineData(0x800f_edcb_a987_6007UL, "rw-", "rw-", MemoryType.NormalCacheable)] // P|R/W|U/S|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_a987_6007UL, "rw-", "rwx", MemoryType.NormalCacheable)] // P|R/W|U/S: PAT index 0 = WB
    [InlineData(0x800f_edcb_a987_6011UL, "r--", "---", MemoryType.NormalUncached)] // P|PCD|XD: PAT index 2 = UC-
    [InlineData(0x000f_edcb_a987_6011UL, "r-x", "---", MemoryType.NormalUncached)] // P|PCD: PAT index 2 = UC-
    [InlineData(0x800f_edcb_a987_6013UL, "rw-", "---", MemoryType.NormalUncached)] // P|R/W|PCD|XD: PAT index 2 = UC-
    [InlineData(0x000f_edcb_a987_6013UL, "rwx", "---", MemoryType.NormalUncached)] // P|R/W|PCD: PAT index 2 = UC-
    [InlineData(0x800f_edcb_a987_6015UL, "r--", "r--", MemoryType.NormalUncached)] // P|U/S|PCD|XD: PAT index 2 = UC-
    [InlineData(0x000f_edcb_a987_6015UL, "r--", "r-x", MemoryType.NormalUncached)] // P|U/S|PCD: PAT index 2 = UC-
    [InlineData(0x800f_edcb_a987_6017UL, "rw-", "rw-", MemoryType.NormalUncached)] // P|R/W|U/S|PCD|XD: PAT index 2 = UC-
    [InlineData(0x000f_edcb_a987_6017UL, "rw-", "rwx", MemoryType.NormalUncached)] // P|R/W|U/S|PCD: PAT index 2 = UC-
    [InlineData(0x800f_edcb_a987_6019UL, "r--", "---", MemoryType.Device)] // P|PWT|PCD|XD: PAT index 3 = UC
    [InlineData(0x000f_edcb_a987_6019UL, "r-x", "---", MemoryType.Device)] // P|PWT|PCD: PAT index 3 = UC
    [InlineData(0x800f_edcb_a987_601bUL, "rw-", "---", MemoryType.Device)] // P|R/W|PWT|PCD|XD: PAT index 3 = UC
    [InlineData(0x000f_edcb_a987_601bUL, "rwx", "---", MemoryType.Device)] // P|R/W|PWT|PCD: PAT index 3 = UC
    [InlineData(0x800f_edcb_a987_601dUL, "r--", "r--", MemoryType.Device)] // P|U/S|PWT|PCD|XD: PAT index 3 = UC
    [InlineData(0x000f_edcb_a987_601dUL, "r--", "r-x", MemoryType.Device)] // P|U/S|PWT|PCD: PAT index 3 = UC
    [InlineData(0x800f_edcb_a987_601fUL, "rw-", "rw-", MemoryType.Device)] // P|R/W|U/S|PWT|PCD|XD: PAT index 3 = UC
    [InlineData(0x000f_edcb_a987_601fUL, "rw-", "rwx", MemoryType.Device)] // P|R/W|U/S|PWT|PCD: PAT index 3 = UC
    public void Pte_4K(ulong pte, string supervisor, string user, MemoryType memory) =>
        Expect.Permissions(Walker, WithLeaf(3, pte), Root, Va, supervisor, user, Expected(3, memory), 3);

    // 2-MByte PDEs (Table 4-18): PS=1, frame 0x000f_edcb_a980_0000 in bits 51:21.
    [Theory]
    [InlineData(0x800f_edcb_a980_0081UL, "r--", "---", MemoryType.NormalCacheable)] // P|PS|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_a980_0081UL, "r-x", "---", MemoryType.NormalCacheable)] // P|PS: PAT index 0 = WB
    [InlineData(0x800f_edcb_a980_0083UL, "rw-", "---", MemoryType.NormalCacheable)] // P|R/W|PS|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_a980_0083UL, "rwx", "---", MemoryType.NormalCacheable)] // P|R/W|PS: PAT index 0 = WB
    [InlineData(0x800f_edcb_a980_0085UL, "r--", "r--", MemoryType.NormalCacheable)] // P|U/S|PS|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_a980_0085UL, "r--", "r-x", MemoryType.NormalCacheable)] // P|U/S|PS: PAT index 0 = WB
    [InlineData(0x800f_edcb_a980_0087UL, "rw-", "rw-", MemoryType.NormalCacheable)] // P|R/W|U/S|PS|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_a980_0087UL, "rw-", "rwx", MemoryType.NormalCacheable)] // P|R/W|U/S|PS: PAT index 0 = WB
    public void Pde_2M(ulong pde, string supervisor, string user, MemoryType memory) =>
        Expect.Permissions(Walker, WithLeaf(2, pde), Root, Va, supervisor, user, Expected(2, memory), 2);

    // 1-GByte PDPTEs (Table 4-16): PS=1, frame 0x000f_edcb_8000_0000 in bits 51:30.
    [Theory]
    [InlineData(0x800f_edcb_8000_0081UL, "r--", "---", MemoryType.NormalCacheable)] // P|PS|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_8000_0081UL, "r-x", "---", MemoryType.NormalCacheable)] // P|PS: PAT index 0 = WB
    [InlineData(0x800f_edcb_8000_0083UL, "rw-", "---", MemoryType.NormalCacheable)] // P|R/W|PS|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_8000_0083UL, "rwx", "---", MemoryType.NormalCacheable)] // P|R/W|PS: PAT index 0 = WB
    [InlineData(0x800f_edcb_8000_0085UL, "r--", "r--", MemoryType.NormalCacheable)] // P|U/S|PS|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_8000_0085UL, "r--", "r-x", MemoryType.NormalCacheable)] // P|U/S|PS: PAT index 0 = WB
    [InlineData(0x800f_edcb_8000_0087UL, "rw-", "rw-", MemoryType.NormalCacheable)] // P|R/W|U/S|PS|XD: PAT index 0 = WB
    [InlineData(0x000f_edcb_8000_0087UL, "rw-", "rwx", MemoryType.NormalCacheable)] // P|R/W|U/S|PS: PAT index 0 = WB
    public void Pdpte_1G(ulong pdpte, string supervisor, string user, MemoryType memory) =>
        Expect.Permissions(Walker, WithLeaf(1, pdpte), Root, Va, supervisor, user, Expected(1, memory), 1);

    // Every PAT index at every leaf size under the power-on PAT (§4.9.2: PAT is bit 7 of a PTE but bit 12 of a huge
    // leaf; bit 7 there is PS; §11.12.4 Table 11-12). Kernel read/write, no execute; A=D=0. WT is named as such, not
    // taken for uncached memory.
    [Theory]
    [InlineData(3, 0x800f_edcb_a987_6003UL, MemoryType.NormalCacheable, "WB")] // P|R/W|XD: PAT index 0 = PA0 = WB
    [InlineData(2, 0x800f_edcb_a980_0083UL, MemoryType.NormalCacheable, "WB")] // P|R/W|PS|XD: PAT index 0 = PA0 = WB
    [InlineData(1, 0x800f_edcb_8000_0083UL, MemoryType.NormalCacheable, "WB")] // P|R/W|PS|XD: PAT index 0 = PA0 = WB
    [InlineData(3, 0x800f_edcb_a987_600bUL, MemoryType.Other, "WT")] // P|R/W|PWT|XD: PAT index 1 = PA1 = WT
    [InlineData(2, 0x800f_edcb_a980_008bUL, MemoryType.Other, "WT")] // P|R/W|PWT|PS|XD: PAT index 1 = PA1 = WT
    [InlineData(1, 0x800f_edcb_8000_008bUL, MemoryType.Other, "WT")] // P|R/W|PWT|PS|XD: PAT index 1 = PA1 = WT
    [InlineData(3, 0x800f_edcb_a987_6013UL, MemoryType.NormalUncached, "UC-")] // P|R/W|PCD|XD: PAT index 2 = PA2 = UC-
    [InlineData(2, 0x800f_edcb_a980_0093UL, MemoryType.NormalUncached, "UC-")] // P|R/W|PCD|PS|XD: PAT index 2 = PA2 = UC-
    [InlineData(1, 0x800f_edcb_8000_0093UL, MemoryType.NormalUncached, "UC-")] // P|R/W|PCD|PS|XD: PAT index 2 = PA2 = UC-
    [InlineData(3, 0x800f_edcb_a987_601bUL, MemoryType.Device, "UC")] // P|R/W|PWT|PCD|XD: PAT index 3 = PA3 = UC
    [InlineData(2, 0x800f_edcb_a980_009bUL, MemoryType.Device, "UC")] // P|R/W|PWT|PCD|PS|XD: PAT index 3 = PA3 = UC
    [InlineData(1, 0x800f_edcb_8000_009bUL, MemoryType.Device, "UC")] // P|R/W|PWT|PCD|PS|XD: PAT index 3 = PA3 = UC
    [InlineData(3, 0x800f_edcb_a987_6083UL, MemoryType.NormalCacheable, "WB")] // P|R/W|PAT(bit 7)|XD: PAT index 4 = PA4 = WB
    [InlineData(2, 0x800f_edcb_a980_1083UL, MemoryType.NormalCacheable, "WB")] // P|R/W|PS|PAT(bit 12)|XD: PAT index 4 = PA4 = WB
    [InlineData(1, 0x800f_edcb_8000_1083UL, MemoryType.NormalCacheable, "WB")] // P|R/W|PS|PAT(bit 12)|XD: PAT index 4 = PA4 = WB
    [InlineData(3, 0x800f_edcb_a987_608bUL, MemoryType.Other, "WT")] // P|R/W|PWT|PAT(bit 7)|XD: PAT index 5 = PA5 = WT
    [InlineData(2, 0x800f_edcb_a980_108bUL, MemoryType.Other, "WT")] // P|R/W|PWT|PS|PAT(bit 12)|XD: PAT index 5 = PA5 = WT
    [InlineData(1, 0x800f_edcb_8000_108bUL, MemoryType.Other, "WT")] // P|R/W|PWT|PS|PAT(bit 12)|XD: PAT index 5 = PA5 = WT
    [InlineData(3, 0x800f_edcb_a987_6093UL, MemoryType.NormalUncached, "UC-")] // P|R/W|PCD|PAT(bit 7)|XD: PAT index 6 = PA6 = UC-
    [InlineData(2, 0x800f_edcb_a980_1093UL, MemoryType.NormalUncached, "UC-")] // P|R/W|PCD|PS|PAT(bit 12)|XD: PAT index 6 = PA6 = UC-
    [InlineData(1, 0x800f_edcb_8000_1093UL, MemoryType.NormalUncached, "UC-")] // P|R/W|PCD|PS|PAT(bit 12)|XD: PAT index 6 = PA6 = UC-
    [InlineData(3, 0x800f_edcb_a987_609bUL, MemoryType.Device, "UC")] // P|R/W|PWT|PCD|PAT(bit 7)|XD: PAT index 7 = PA7 = UC
    [InlineData(2, 0x800f_edcb_a980_109bUL, MemoryType.Device, "UC")] // P|R/W|PWT|PCD|PS|PAT(bit 12)|XD: PAT index 7 = PA7 = UC
    [InlineData(1, 0x800f_edcb_8000_109bUL, MemoryType.Device, "UC")] // P|R/W|PWT|PCD|PS|PAT(bit 12)|XD: PAT index 7 = PA7 = UC
    public void Pat_index_selects_memory_type(int leafLevel, ulong leaf, MemoryType memory, string name) =>
        Expect.Permissions(
            Walker, WithLeaf(leafLevel, leaf), Root, Va, "rw-", "---",
            Expected(leafLevel, memory) with { MemoryName = name, Accessed = false, Dirty = false }, leafLevel);

    // IA32_PAT as Linux programs it: PA0 WB 06H, PA1 WC 01H, PA2 UC- 07H, PA3 UC 00H, PA4 WB 06H, PA5 WP 05H,
    // PA6 UC- 07H, PA7 WT 04H, bytes PA7..PA0 = 04 07 05 06 00 07 01 06. Here the PAT bit changes the type.
    private const ulong LinuxPat = 0x0407_0506_0007_0106;

    [Theory]
    [InlineData(3, 0x800f_edcb_a987_600bUL, MemoryType.Other, "WC")] // P|R/W|PWT|XD: index 1 = PA1 = WC
    [InlineData(3, 0x800f_edcb_a987_6083UL, MemoryType.NormalCacheable, "WB")] // P|R/W|PAT(7)|XD: index 4 = PA4 = WB
    [InlineData(3, 0x800f_edcb_a987_608bUL, MemoryType.Other, "WP")] // P|R/W|PWT|PAT(7)|XD: index 5 = PA5 = WP
    [InlineData(3, 0x800f_edcb_a987_609bUL, MemoryType.Other, "WT")] // P|R/W|PWT|PCD|PAT(7)|XD: index 7 = PA7 = WT
    [InlineData(3, 0x800f_edcb_a987_601bUL, MemoryType.Device, "UC")] // P|R/W|PWT|PCD|XD: index 3 = PA3 = UC
    [InlineData(2, 0x800f_edcb_a980_009bUL, MemoryType.Device, "UC")] // P|R/W|PWT|PCD|PS|XD: bit 7 is PS, index 3 = UC
    [InlineData(2, 0x800f_edcb_a980_109bUL, MemoryType.Other, "WT")] // P|R/W|PWT|PCD|PS|PAT(12)|XD: index 7 = PA7 = WT
    [InlineData(1, 0x800f_edcb_8000_108bUL, MemoryType.Other, "WP")] // P|R/W|PWT|PS|PAT(12)|XD: index 5 = PA5 = WP
    [InlineData(1, 0x800f_edcb_8000_1093UL, MemoryType.NormalUncached, "UC-")] // P|R/W|PCD|PS|PAT(12)|XD: index 6 = PA6 = UC-
    public void Pat_index_selects_the_entry_of_a_given_PAT(int leafLevel, ulong leaf, MemoryType memory, string name) =>
        Expect.Permissions(
            new X64Walker(LinuxPat), WithLeaf(leafLevel, leaf), Root, Va, "rw-", "---",
            Expected(leafLevel, memory) with { MemoryName = name }, leafLevel);

    [Fact]
    public void Bit_12_of_a_4K_PTE_is_an_address_bit_not_the_PAT_bit() =>
        Expect.Translates(
            new X64Walker(LinuxPat), WithLeaf(3, 0x800f_edcb_a987_7003), Root, Va, Access.Read, Privilege.Supervisor,
            new Translation(0x000f_edcb_a987_7abc, 0x1000, MemoryType.NormalCacheable) { MemoryName = "WB" }); // frame 0xf_edcb_a987_7000, index 0

    // §4.8: the leaf's A (bit 5) and D (bit 6) are reported as found; neither ever faults. 4K PTE P|R/W|U/S and 2M PDE
    // P|R/W|U/S|PS, WB.
    [Theory]
    [InlineData(3, 0x000f_edcb_a987_6007UL, false, false)]
    [InlineData(3, 0x000f_edcb_a987_6027UL, true, false)] // A
    [InlineData(3, 0x000f_edcb_a987_6067UL, true, true)] // A|D
    [InlineData(3, 0x000f_edcb_a987_6047UL, false, true)] // D without A: legal, the processor never writes it
    [InlineData(2, 0x000f_edcb_a980_0087UL, false, false)]
    [InlineData(2, 0x000f_edcb_a980_00a7UL, true, false)] // A
    [InlineData(2, 0x000f_edcb_a980_00e7UL, true, true)] // A|D
    [InlineData(1, 0x000f_edcb_8000_00e7UL, true, true)] // 1G A|D
    public void Accessed_and_dirty_are_reported(int leafLevel, ulong leaf, bool accessed, bool dirty)
    {
        Translation basic = Expected(leafLevel, MemoryType.NormalCacheable);
        var expected = new Translation(basic.Pa, basic.PageSize, basic.Memory, "WB", accessed, dirty);
        foreach (Access access in new[] { Access.Read, Access.Write })
        {
            Expect.TranslatesExactly(Walker, WithLeaf(leafLevel, leaf), Root, Va, access, Privilege.User, expected);
        }
    }

    // Tables 4-15 to 4-20: bits 51:M of every entry are reserved. With MAXPHYADDR = 46, bit 46 (0x4000_0000_0000) set
    // at one level of the path faults there (RSVD); bit 45 is still an address bit.
    [Theory]
    [InlineData(0, 0x0000_4000_0000_2007UL)] // PML4E
    [InlineData(1, 0x0000_4000_0000_3007UL)] // PDPTE pointing to a PD
    [InlineData(2, 0x0000_4000_0000_4007UL)] // PDE pointing to a PT
    [InlineData(3, 0x0000_4000_0000_5007UL)] // 4K PTE
    [InlineData(2, 0x0008_0000_0020_0087UL)] // 2M PDE with bit 51
    [InlineData(1, 0x0000_4000_4000_0087UL)] // 1G PDPTE with bit 46
    public void Address_bits_at_and_above_MAXPHYADDR_are_reserved(int level, ulong entry)
    {
        var walker = new X64Walker(X64Walker.PowerOnPat, maxPhysAddr: 46);
        bool leaf = level == 3 || (entry & 0x80) != 0;
        FrameMemory memory = leaf
            ? WithLeaf(level, entry)
            : WithLeaf(3, 0x0000_0000_0000_5007, // PTE P|R/W|U/S at 0x5000
                level == 0 ? entry : Pml4e, level == 1 ? entry : Pdpte, level == 2 ? entry : Pde);
        Expect.FaultsAlways(walker, memory, Root, Va, level, "MAXPHYADDR");
    }

    [Fact]
    public void Address_bits_below_MAXPHYADDR_translate() =>
        Expect.Permissions(
            new X64Walker(X64Walker.PowerOnPat, maxPhysAddr: 46),
            WithLeaf(3, 0x0000_2000_0000_5007), Root, Va, "rw-", "rwx", // PTE P|R/W|U/S, frame 0x2000_0000_5000 (bit 45)
            new Translation(0x0000_2000_0000_5abc, 0x1000, MemoryType.NormalCacheable), 3);

    // With IA32_EFER.NXE = 0, bit 63 is reserved in every entry (Tables 4-15 to 4-20), not XD.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Bit_63_is_reserved_without_NXE(int level)
    {
        ulong[] path = [Pml4e, Pdpte, Pde, 0x000f_edcb_a987_6007];
        path[level] |= 1UL << 63;
        var walker = new X64Walker(X64Walker.PowerOnPat, executeDisableEnabled: false);
        Expect.FaultsAlways(walker, WithLeaf(3, path[3], path[0], path[1], path[2]), Root, Va, level, "NXE=0");
    }

    [Fact]
    public void Without_NXE_nothing_forbids_fetches_but_SMEP() =>
        Expect.Permissions(
            new X64Walker(X64Walker.PowerOnPat, executeDisableEnabled: false),
            WithLeaf(3, 0x000f_edcb_a987_6003), Root, Va, "rwx", "---", Expected(3, MemoryType.NormalCacheable), 3);

    // §11.12.2 and Table 11-10: each PA field holds 00H, 01H, 04H..07H; WRMSR with anything else raises #GP.
    [Theory]
    [InlineData(0x0007_0406_0207_0406UL)] // PA3 = 02H
    [InlineData(0x0007_0406_0007_0306UL)] // PA1 = 03H
    [InlineData(0x0807_0406_0007_0406UL)] // PA7 = 08H (a reserved bit of the field)
    [InlineData(0x0007_0406_0007_040eUL)] // PA0 = 0EH
    public void Reserved_PAT_encodings_are_refused(ulong pat) =>
        Assert.Throws<ArgumentException>(() => new X64Walker(pat));

    [Theory]
    [InlineData(31)]
    [InlineData(53)]
    public void MAXPHYADDR_must_be_32_to_52(int maxPhysAddr) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new X64Walker(X64Walker.PowerOnPat, maxPhysAddr));

    [Fact]
    public void Defaults_are_the_power_on_PAT_52_bits_and_NXE()
    {
        Assert.Equal(0x0007_0406_0007_0406UL, Walker.Pat);
        Assert.Equal(52, Walker.MaxPhysAddr);
        Assert.True(Walker.ExecuteDisableEnabled);
        Assert.Throws<ArgumentOutOfRangeException>(() => new X64Walker(X64Walker.PowerOnPat, 40)
            .Translate(new FrameMemory(), 1UL << 40, Va, Access.Read, Privilege.User)); // the root, too, lies below 2^MAXPHYADDR
    }



    // §4.6: U/S, R/W and XD combine over every level, not only the leaf.
    [Theory]
    [InlineData(0x0000_0000_0000_2007UL, 0x0000_0000_0000_3007UL, 0x0000_0000_0000_4003UL, "rwx", "---")] // PDE P|R/W without U/S: a supervisor-mode address, so SMEP does not apply
    [InlineData(0x0000_0000_0000_2007UL, 0x0000_0000_0000_3005UL, 0x0000_0000_0000_4007UL, "r--", "r-x")] // PDPTE P|U/S without R/W: no writes; still a user-mode address (SMEP)
    [InlineData(0x8000_0000_0000_2007UL, 0x0000_0000_0000_3007UL, 0x0000_0000_0000_4007UL, "rw-", "rw-")] // PML4E P|R/W|U/S|XD: no fetches below it
    [InlineData(0x0000_0000_0000_2003UL, 0x0000_0000_0000_3007UL, 0x0000_0000_0000_4007UL, "rwx", "---")] // PML4E P|R/W without U/S
    public void Rights_combine_over_all_levels(ulong pml4e, ulong pdpte, ulong pde, string supervisor, string user) =>
        Expect.Permissions(
            Walker,
            WithLeaf(3, 0x000f_edcb_a987_6007, pml4e, pdpte, pde), // PTE P|R/W|U/S, WB
            Root, Va, supervisor, user, Expected(3, MemoryType.NormalCacheable), 3);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Not_present_at_each_level(int level)
    {
        // The same entries with P (bit 0) cleared at one level: 0x2006, 0x3006, 0x4006 and PTE R/W|U/S.
        ulong[] path = [0x0000_0000_0000_2007, 0x0000_0000_0000_3007, 0x0000_0000_0000_4007, 0x000f_edcb_a987_6007];
        path[level] &= ~1UL;
        var memory = WithLeaf(3, path[3], path[0], path[1], path[2]);
        Expect.FaultsAlways(Walker, memory, Root, Va, level, "P=0");
    }

    [Fact]
    public void Empty_entry_is_not_present() =>
        Expect.FaultsAlways(Walker, new FrameMemory().Entry(0x1000, 0, 0x2007), Root, Va, 0, "P=0");

    [Theory]
    [InlineData(0, 0x0000_0000_0000_2087UL)] // PML4E P|R/W|U/S|PS: PS is reserved in a PML4E (Table 4-15)
    [InlineData(1, 0x000f_edcb_8000_2087UL)] // 1G PDPTE P|R/W|U/S|PS with bit 13 set (bits 29:13 reserved, Table 4-16)
    [InlineData(1, 0x000f_edcb_a000_0087UL)] // 1G PDPTE with bit 29 set
    [InlineData(2, 0x000f_edcb_a980_2087UL)] // 2M PDE P|R/W|U/S|PS with bit 13 set (bits 20:13 reserved, Table 4-18)
    [InlineData(2, 0x000f_edcb_a990_0087UL)] // 2M PDE with bit 20 set
    public void Reserved_bits_fault(int level, ulong entry)
    {
        FrameMemory memory = level == 0 ? new FrameMemory().Entry(0x1000, 1, entry) : WithLeaf(level, entry);
        Expect.FaultsAlways(Walker, memory, Root, Va, level, "reserved");
    }

    [Fact]
    public void Pat_bit_of_a_huge_leaf_is_not_a_reserved_bit() =>
        Expect.Translates(
            Walker, WithLeaf(2, 0x000f_edcb_a980_1087), Root, Va, Access.Read, Privilege.User, // P|R/W|U/S|PS|PAT(12)
            Expected(2, MemoryType.NormalCacheable));

    [Theory]
    [InlineData(0x0000_8000_0000_0000UL)] // bit 47 set, bits 63:48 clear
    [InlineData(0xffff_7fff_ffff_f000UL)] // bits 63:48 set, bit 47 clear
    [InlineData(0x8000_0080_8060_4abcUL)] // Va with bit 63 set
    [InlineData(0x0001_0080_8060_4abcUL)] // Va with bit 48 set
    public void Non_canonical_address_faults_at_level_0(ulong va) =>
        Expect.FaultsAlways(Walker, WithLeaf(3, 0x000f_edcb_a987_6007), Root, va, 0, "canonical");

    [Fact]
    public void High_half_uses_the_upper_root_entries()
    {
        // 0xffff_ff80_8060_4abc: PML4 index 511, then 2, 3, 4 as for Va.
        var memory = WithLeaf(3, 0x000f_edcb_a987_6003) // PTE P|R/W, WB
            .Entry(0x1000, 511, 0x0000_0000_0000_2003);  // PML4E P|R/W, PDPT at 0x2000
        memory.Entry(0x1000, 1, 0);                       // and nothing at index 1
        Expect.Permissions(Walker, memory, Root, 0xffff_ff80_8060_4abc, "rwx", "---", Expected(3, MemoryType.NormalCacheable), 3);
        Expect.FaultsAlways(Walker, memory, Root, Va, 0, "P=0");
    }

    [Fact]
    public void Table_outside_memory_is_a_bus_error_at_the_level_read()
    {
        var memory = new FrameMemory().Entry(0x1000, 1, 0x0000_0000_0009_0007); // PML4E P|R/W|U/S, PDPT at 0x9_0000 (absent)
        Expect.FaultsAlways(Walker, memory, Root, Va, 1, "no memory");
    }

    [Fact]
    public void Ignored_bits_do_not_matter()
    {
        // Non-leaf entries with A (bit 5), ignored bits 11:8 and 62:52 set; a leaf with A, D, G (8), bits 11:9 and
        // the protection-key bits 62:59 (ignored with CR4.PKE=0).
        var memory = WithLeaf(
            3,
            0x780f_edcb_a987_6f67, // PTE P|R/W|U/S|A|D|G, bits 11:9, bits 62:59 (PKEY 0xf)
            0x7ff0_0000_0000_2f27, // PML4E P|R/W|U/S|A, bits 11:8, bits 62:52
            0x7ff0_0000_0000_3f27, // PDPTE the same
            0x7ff0_0000_0000_4f27); // PDE the same
        Expect.Permissions(Walker, memory, Root, Va, "rw-", "rwx", Expected(3, MemoryType.NormalCacheable), 3);
    }

    [Fact]
    public void Root_must_be_a_4K_aligned_52_bit_address()
    {
        var memory = new FrameMemory();
        Assert.Throws<ArgumentOutOfRangeException>(() => Walker.Translate(memory, 0x1008, Va, Access.Read, Privilege.User));
        Assert.Throws<ArgumentOutOfRangeException>(() => Walker.Translate(memory, 1UL << 52, Va, Access.Read, Privilege.User));
    }
}
